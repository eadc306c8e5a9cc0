import { Check, Copy } from "lucide-react";
import { Button } from "@/components/ui/Button";
import { toast } from "@/components/ui/Toast";
import { useCopy } from "@/hooks/useCopy";

/** A secret the API shows only once: a labelled read-only field with a copy button. */
export function ShownOnceSecret({
  id,
  label,
  value,
  what,
}: {
  id: string;
  label: string;
  value: string;
  /** Named in the copy-failure message ("select the <what> and copy it by hand"). */
  what: string;
}) {
  const [copied, copy] = useCopy();
  return (
    <>
      <label htmlFor={id} className="block text-sm font-medium">
        {label}
      </label>
      <div className="flex gap-2">
        <input
          id={id}
          readOnly
          value={value}
          className="input font-mono text-xs"
          data-testid={id}
          onFocus={(e) => e.currentTarget.select()}
        />
        <Button
          variant="secondary"
          icon={
            copied ? (
              <Check className="size-4" aria-hidden="true" />
            ) : (
              <Copy className="size-4" aria-hidden="true" />
            )
          }
          onClick={() =>
            void copy(value).then(
              (ok) =>
                !ok &&
                toast.error(new Error(`Copy failed: select the ${what} and copy it by hand`)),
            )
          }
        >
          {copied ? "Copied" : "Copy"}
        </Button>
      </div>
    </>
  );
}
