import { useState } from "react";

/** Copy text to the clipboard; `copied` is true for two seconds afterwards. */
export function useCopy(): [boolean, (text: string) => Promise<boolean>] {
  const [copied, setCopied] = useState(false);
  return [
    copied,
    async (text) => {
      try {
        await navigator.clipboard.writeText(text);
      } catch {
        return false;
      }
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
      return true;
    },
  ];
}
