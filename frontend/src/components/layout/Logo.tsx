export function Logo({ className = "" }: { className?: string }) {
  return (
    <span className={`inline-flex items-center gap-2 font-semibold tracking-tight ${className}`}>
      <svg viewBox="0 0 32 32" className="size-7" aria-hidden="true">
        <rect width="32" height="32" rx="8" className="fill-indigo-600 dark:fill-indigo-500" />
        <circle cx="11" cy="12" r="4" fill="#fff" />
        <circle cx="21" cy="10" r="3" fill="#c7d2fe" />
        <circle cx="19" cy="21" r="5" fill="#a5b4fc" />
      </svg>
      <span>Segmentation</span>
    </span>
  );
}
