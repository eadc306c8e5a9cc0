import { useState } from "react";
import { saveTheme, storedTheme, type ThemeChoice } from "@/lib/theme";

export function useTheme(): [ThemeChoice, (choice: ThemeChoice) => void] {
  const [choice, setChoice] = useState<ThemeChoice>(storedTheme);
  return [
    choice,
    (next) => {
      saveTheme(next);
      setChoice(next);
    },
  ];
}
