/** Light/dark theme: the user's choice (or the system's) on <html class="dark">. */

export type ThemeChoice = "light" | "dark" | "system";
const KEY = "seg-console-theme";

export function storedTheme(): ThemeChoice {
  const value = typeof localStorage === "undefined" ? null : localStorage.getItem(KEY);
  return value === "light" || value === "dark" ? value : "system";
}

function prefersDark(): boolean {
  return typeof matchMedia !== "undefined" && matchMedia("(prefers-color-scheme: dark)").matches;
}

export function applyTheme(choice: ThemeChoice = storedTheme()): void {
  const dark = choice === "dark" || (choice === "system" && prefersDark());
  document.documentElement.classList.toggle("dark", dark);
  document.documentElement.style.colorScheme = dark ? "dark" : "light";
}

export function saveTheme(choice: ThemeChoice): void {
  if (choice === "system") localStorage.removeItem(KEY);
  else localStorage.setItem(KEY, choice);
  applyTheme(choice);
}

export function watchSystemTheme(): () => void {
  if (typeof matchMedia === "undefined") return () => {};
  const query = matchMedia("(prefers-color-scheme: dark)");
  const onChange = () => applyTheme();
  query.addEventListener("change", onChange);
  return () => query.removeEventListener("change", onChange);
}
