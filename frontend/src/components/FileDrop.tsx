import { FileUp } from "lucide-react";
import { useId, useState } from "react";
import { cn } from "@/lib/cn";
import { formatBytes } from "@/lib/format";

/** A labelled file input that also accepts drag and drop. */
export function FileDrop({
  label,
  accept = ".csv,text/csv",
  file,
  onFile,
  hint,
}: {
  label: string;
  accept?: string;
  file: File | null;
  onFile: (file: File | null) => void;
  hint?: string;
}) {
  const id = useId();
  const [over, setOver] = useState(false);
  return (
    <div>
      <label
        htmlFor={id}
        className="mb-1 block text-sm font-medium text-slate-800 dark:text-slate-200"
      >
        {label}
      </label>
      {/* biome-ignore lint/a11y/noStaticElementInteractions: dropping is a pointer shortcut; the file input inside is the accessible control */}
      <div
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          onFile(e.dataTransfer.files[0] ?? null);
        }}
        className={cn(
          "relative flex flex-col items-center justify-center gap-1 rounded-xl border-2 border-dashed px-4 py-6 text-center transition-colors focus-within:border-indigo-500",
          over
            ? "border-indigo-500 bg-indigo-50 dark:bg-indigo-950/40"
            : "border-slate-300 dark:border-slate-700",
        )}
      >
        <FileUp className="size-6 text-slate-500" aria-hidden="true" />
        <p className="text-sm">
          <span className="font-medium text-indigo-700 dark:text-indigo-300">Choose a file</span> or
          drop it here
        </p>
        <p className="text-xs muted">
          {file ? `${file.name} · ${formatBytes(file.size)}` : (hint ?? "CSV")}
        </p>
        <input
          id={id}
          type="file"
          accept={accept}
          className="absolute inset-0 cursor-pointer opacity-0"
          onChange={(e) => onFile(e.target.files?.[0] ?? null)}
          aria-describedby={`${id}-hint`}
        />
        <span id={`${id}-hint`} className="sr-only">
          {hint}
        </span>
      </div>
    </div>
  );
}
