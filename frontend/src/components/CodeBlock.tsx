import { Check, Copy } from "lucide-react";
import { useCopy } from "@/hooks/useCopy";

export function CodeBlock({ code, label }: { code: string; label: string }) {
  const [copied, copy] = useCopy();
  return (
    <div className="group relative">
      <section
        aria-label={label}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard (WCAG 2.1.1)
        tabIndex={0}
        className="overflow-x-auto rounded-lg bg-slate-900 dark:bg-black/60"
      >
        <pre className="p-4 pr-12 text-xs leading-relaxed text-slate-100">
          <code>{code}</code>
        </pre>
      </section>
      <button
        type="button"
        onClick={() => void copy(code)}
        className="absolute top-2 right-2 rounded-md bg-slate-700 p-1.5 text-slate-100 hover:bg-slate-600"
        aria-label={copied ? "Copied" : `Copy: ${label}`}
      >
        {copied ? (
          <Check className="size-3.5" aria-hidden="true" />
        ) : (
          <Copy className="size-3.5" aria-hidden="true" />
        )}
      </button>
    </div>
  );
}
