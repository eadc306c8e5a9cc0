/**
 * The fields the training form (Models page) and the comparison form (Analytics) share:
 * dataset, features, algorithm(s), the k range, and the job both poll.
 */
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import {
  listDatasetsDatasetsGetOptions,
  trainingJobTrainJobsJobIdGetOptions,
} from "@/client/@tanstack/react-query.gen";
import { SelectField, TextField } from "@/components/ui/Field";
import { formatInt } from "@/lib/format";

export const FEATURES = ["age", "annual_income", "spending_score", "purchase_frequency"] as const;
export type Feature = (typeof FEATURES)[number];
export const ALGORITHMS = ["kmeans", "gmm", "agglomerative"] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export const FEATURE_LABELS: Record<string, string> = {
  age: "Age",
  annual_income: "Annual income",
  spending_score: "Spending score",
  purchase_frequency: "Purchase frequency",
};
export const ALGORITHM_LABELS: Record<string, string> = {
  kmeans: "k-means",
  gmm: "Gaussian mixture",
  agglomerative: "Agglomerative (Ward)",
};

/** The server's k bounds (TrainRequest/CompareRequest). */
const K_MIN = 2;
const K_MAX = 15;

/** The uploaded datasets, or the default one (`""`). */
export function DatasetSelect({
  label,
  value,
  onChange,
}: {
  label: string;
  value: string;
  onChange: (datasetId: string) => void;
}) {
  const datasets = useQuery(listDatasetsDatasetsGetOptions());
  return (
    <SelectField label={label} value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">Default dataset (generated at first start)</option>
      {datasets.data?.map((d) => (
        <option key={d.dataset_id} value={d.dataset_id}>
          #{d.dataset_id} {d.name} ({formatInt(d.rows)} rows)
        </option>
      ))}
    </SelectField>
  );
}

/** The chosen dataset as the API takes it. */
export const datasetParam = (datasetId: string): number | null =>
  datasetId ? Number(datasetId) : null;

/** Checkboxes over `options`, kept in their order; says when fewer than `min` are chosen. */
function CheckboxChoice<T extends string>({
  legend,
  options,
  labels,
  value,
  onChange,
  min,
  tooFew,
  columns,
}: {
  legend: string;
  options: readonly T[];
  labels: Record<string, string>;
  value: T[];
  onChange: (chosen: T[]) => void;
  min: number;
  tooFew: string;
  columns: string;
}) {
  const toggle = (option: T) =>
    onChange(
      value.includes(option)
        ? value.filter((o) => o !== option)
        : options.filter((o) => o === option || value.includes(o)),
    );
  return (
    <fieldset>
      <legend className="mb-1 text-sm font-medium">{legend}</legend>
      <div className={`grid gap-1 text-sm ${columns}`}>
        {options.map((option) => (
          <label key={option} className="flex items-center gap-2">
            <input
              type="checkbox"
              checked={value.includes(option)}
              onChange={() => toggle(option)}
              className="size-4 accent-indigo-600"
            />
            {labels[option]}
          </label>
        ))}
      </div>
      {value.length < min && (
        <p className="mt-1 text-xs font-medium text-red-700 dark:text-red-400" role="alert">
          {tooFew}
        </p>
      )}
    </fieldset>
  );
}

/** Checkboxes for 2..4 features; says when fewer than 2 are chosen. */
export function FeatureChoice({
  value,
  onChange,
  legend = "Features",
}: {
  value: Feature[];
  onChange: (features: Feature[]) => void;
  legend?: string;
}) {
  return (
    <CheckboxChoice
      legend={legend}
      options={FEATURES}
      labels={FEATURE_LABELS}
      value={value}
      onChange={onChange}
      min={2}
      tooFew="Choose at least 2 features"
      columns="grid-cols-1 sm:grid-cols-2"
    />
  );
}

/** Checkboxes for the algorithms to compare; says when none is chosen. */
export function AlgorithmsChoice({
  value,
  onChange,
}: {
  value: Algorithm[];
  onChange: (algorithms: Algorithm[]) => void;
}) {
  return (
    <CheckboxChoice
      legend="Algorithms to compare"
      options={ALGORITHMS}
      labels={ALGORITHM_LABELS}
      value={value}
      onChange={onChange}
      min={1}
      tooFew="Choose at least one algorithm"
      columns="grid-cols-1"
    />
  );
}

export function AlgorithmSelect({
  value,
  onChange,
}: {
  value: Algorithm;
  onChange: (algorithm: Algorithm) => void;
}) {
  return (
    <SelectField
      label="Algorithm"
      value={value}
      onChange={(e) => onChange(e.target.value as Algorithm)}
      hint="Gaussian mixture: confidence is the posterior probability"
    >
      {ALGORITHMS.map((a) => (
        <option key={a} value={a}>
          {ALGORITHM_LABELS[a]}
        </option>
      ))}
    </SelectField>
  );
}

/** A number input's value as an integer (NaN when empty). */
export const parseK = (value: string): number => (value === "" ? Number.NaN : Number(value));

/** Why `value` is not a valid k, or undefined. */
export const kError = (value: string): string | undefined => {
  const k = parseK(value);
  return Number.isInteger(k) && k >= K_MIN && k <= K_MAX ? undefined : `${K_MIN} to ${K_MAX}`;
};

/** A k range's inputs (as typed), their errors and the parsed bounds. */
export function useKRange(min: string, max: string) {
  const [kMin, setKMin] = useState(min);
  const [kMax, setKMax] = useState(max);
  const errors = {
    kMin: kError(kMin),
    kMax: kError(kMax) ?? (parseK(kMax) < parseK(kMin) ? "At least the minimum" : undefined),
  };
  return {
    kMin,
    kMax,
    setKMin,
    setKMax,
    errors,
    invalid: Boolean(errors.kMin || errors.kMax),
    bounds: { k_min: parseK(kMin), k_max: parseK(kMax) },
  };
}

/** The two inputs of a k range (labels differ per form: the browser tests find them). */
export function KRangeFields({
  range,
  minLabel,
  maxLabel,
  className,
}: {
  range: ReturnType<typeof useKRange>;
  minLabel: string;
  maxLabel: string;
  className: string;
}) {
  return (
    <div className={className}>
      <TextField
        label={minLabel}
        type="number"
        min={K_MIN}
        max={K_MAX}
        value={range.kMin}
        onChange={(e) => range.setKMin(e.target.value)}
        error={range.errors.kMin}
      />
      <TextField
        label={maxLabel}
        type="number"
        min={K_MIN}
        max={K_MAX}
        value={range.kMax}
        onChange={(e) => range.setKMax(e.target.value)}
        error={range.errors.kMax}
      />
    </div>
  );
}

/** A training or comparison job, polled until it succeeds or fails. */
export function useJob(jobId: string | null) {
  return useQuery({
    ...trainingJobTrainJobsJobIdGetOptions({ path: { job_id: jobId ?? "" } }),
    enabled: jobId !== null,
    refetchInterval: (query) => {
      const status = query.state.data?.status;
      return status === "succeeded" || status === "failed" ? false : 400;
    },
  });
}
