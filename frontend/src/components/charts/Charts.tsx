/**
 * Every chart of the console (Recharts). Imported lazily through ./index.ts so the
 * charting library is never part of the initial bundle.
 */
import {
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
  ZAxis,
} from "recharts";
import { segmentColor } from "@/lib/segments";

const axis = {
  stroke: "currentColor",
  tick: { fill: "currentColor", fontSize: 12 },
  tickLine: false,
} as const;
const grid = { strokeDasharray: "3 3", stroke: "currentColor", strokeOpacity: 0.15 } as const;
const tooltipStyle = {
  contentStyle: {
    background: "var(--chart-tooltip-bg, #fff)",
    border: "1px solid rgb(148 163 184 / 0.4)",
    borderRadius: 8,
    fontSize: 12,
    color: "inherit",
  },
  itemStyle: { color: "inherit" },
  labelStyle: { color: "inherit", fontWeight: 600 },
} as const;

function Frame({ children }: { children: React.ReactElement }) {
  return (
    <div className="h-full w-full text-slate-500 dark:text-slate-400">
      <ResponsiveContainer width="100%" height="100%" minWidth={0}>
        {children}
      </ResponsiveContainer>
    </div>
  );
}

export interface BarDatum {
  name: string;
  value: number;
  cluster?: number;
}

/** Horizontal bars, one per segment (coloured by cluster) or per category. */
export function CategoryBars({ data, unit = "" }: { data: BarDatum[]; unit?: string }) {
  return (
    <Frame>
      <BarChart
        accessibilityLayer={false}
        data={data}
        layout="vertical"
        margin={{ top: 4, right: 16, bottom: 4, left: 4 }}
      >
        <CartesianGrid {...grid} horizontal={false} />
        <XAxis type="number" {...axis} allowDecimals={false} />
        <YAxis type="category" dataKey="name" {...axis} width={130} interval={0} />
        <Tooltip
          {...tooltipStyle}
          cursor={{ fillOpacity: 0.08 }}
          formatter={(v) => [`${v}${unit}`, "Customers"]}
        />
        <Bar dataKey="value" radius={[0, 4, 4, 0]} isAnimationActive={false}>
          {data.map((d, i) => (
            <Cell key={d.name} fill={segmentColor(d.cluster ?? i)} />
          ))}
        </Bar>
      </BarChart>
    </Frame>
  );
}

export interface ScatterPoint {
  x: number;
  y: number;
  cluster: number;
  name: string;
}

/** Customers (income × spending) by segment, with each segment's centroid. */
export function SegmentScatter({
  points,
  centroids,
  xLabel,
  yLabel,
  freeScale = false,
}: {
  points: ScatterPoint[];
  centroids: ScatterPoint[];
  xLabel: string;
  yLabel: string;
  /** Axes fitted to the data (a projection) instead of the 0..100 spending score. */
  freeScale?: boolean;
}) {
  const clusters = [...new Set([...centroids, ...points].map((p) => p.cluster))].sort(
    (a, b) => a - b,
  );
  const nameOf = new Map([...centroids, ...points].map((p) => [p.cluster, p.name]));
  return (
    <div className="flex h-full flex-col">
      <ul className="mb-1 flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-700 dark:text-slate-300">
        {clusters.map((cluster) => (
          <li key={cluster} className="flex items-center gap-1.5">
            <span
              className="size-2.5 rounded-full"
              style={{ backgroundColor: segmentColor(cluster) }}
            />
            {nameOf.get(cluster)}
          </li>
        ))}
        <li className="flex items-center gap-1.5">
          <span className="size-2 rotate-45 border border-slate-900 bg-slate-400 dark:border-slate-100" />
          Centroid
        </li>
      </ul>
      <div className="min-h-0 flex-1">
        <Frame>
          <ScatterChart
            accessibilityLayer={false}
            margin={{ top: 8, right: 16, bottom: 24, left: 4 }}
          >
            <CartesianGrid {...grid} />
            <XAxis
              type="number"
              dataKey="x"
              name={xLabel}
              {...axis}
              label={{
                value: xLabel,
                position: "insideBottom",
                offset: -14,
                fill: "currentColor",
                fontSize: 12,
              }}
            />
            <YAxis
              type="number"
              dataKey="y"
              name={yLabel}
              {...axis}
              width={44}
              domain={freeScale ? ["auto", "auto"] : [0, 100]}
              ticks={freeScale ? undefined : [0, 25, 50, 75, 100]}
              tickFormatter={freeScale ? (v: number) => v.toFixed(1) : undefined}
              label={{
                value: yLabel,
                angle: -90,
                position: "insideLeft",
                offset: 10,
                fill: "currentColor",
                fontSize: 12,
              }}
            />
            <ZAxis range={[28, 28]} />
            <ZAxis zAxisId="centroids" range={[140, 140]} />
            <Tooltip {...tooltipStyle} cursor={{ strokeDasharray: "3 3" }} />
            {clusters.map((cluster) => (
              <Scatter
                key={`points-${cluster}`}
                name={nameOf.get(cluster) ?? `Segment ${cluster}`}
                data={points.filter((p) => p.cluster === cluster)}
                fill={segmentColor(cluster)}
                fillOpacity={0.55}
                isAnimationActive={false}
              />
            ))}
            <Scatter
              name="Centroids"
              zAxisId="centroids"
              data={centroids}
              shape="diamond"
              legendType="diamond"
              fill="currentColor"
              isAnimationActive={false}
            >
              {centroids.map((c) => (
                <Cell
                  key={c.cluster}
                  fill={segmentColor(c.cluster)}
                  stroke="var(--chart-centroid-stroke)"
                  strokeWidth={1.5}
                />
              ))}
            </Scatter>
          </ScatterChart>
        </Frame>
      </div>
    </div>
  );
}

/** A metric per k (elbow inertia or silhouette), the chosen k marked. */
export function MetricByK({
  ks,
  values,
  chosenK,
  label,
  color,
}: {
  ks: number[];
  values: number[];
  chosenK: number;
  label: string;
  color: string;
}) {
  const data = ks.map((k, i) => ({ k, value: values[i] ?? null }));
  return (
    <Frame>
      <LineChart
        accessibilityLayer={false}
        data={data}
        margin={{ top: 16, right: 20, bottom: 20, left: 4 }}
      >
        <CartesianGrid {...grid} />
        <XAxis
          dataKey="k"
          {...axis}
          label={{
            value: "k (clusters)",
            position: "insideBottom",
            offset: -10,
            fill: "currentColor",
            fontSize: 12,
          }}
        />
        <YAxis
          {...axis}
          width={56}
          domain={["auto", "auto"]}
          tickFormatter={(v: number) =>
            Math.abs(v) >= 1000 ? `${Math.round(v / 1000)}k` : v.toFixed(2)
          }
        />
        <Tooltip
          {...tooltipStyle}
          formatter={(v) => [typeof v === "number" ? v.toFixed(4) : String(v), label]}
          labelFormatter={(k) => `k = ${k}`}
        />
        <ReferenceLine
          x={chosenK}
          stroke={color}
          strokeDasharray="4 4"
          label={{
            value: `chosen k = ${chosenK}`,
            position: "top",
            fill: "currentColor",
            fontSize: 12,
          }}
        />
        <Line
          type="monotone"
          dataKey="value"
          name={label}
          stroke={color}
          strokeWidth={2}
          dot={{ r: 3, fill: color }}
          activeDot={{ r: 5 }}
          isAnimationActive={false}
        />
      </LineChart>
    </Frame>
  );
}

/** Counts over time buckets. */
export function TimeBars({
  data,
  color = "#4f46e5",
}: {
  data: { label: string; count: number }[];
  color?: string;
}) {
  return (
    <Frame>
      <BarChart
        accessibilityLayer={false}
        data={data}
        margin={{ top: 8, right: 12, bottom: 4, left: 0 }}
      >
        <CartesianGrid {...grid} vertical={false} />
        <XAxis dataKey="label" {...axis} minTickGap={16} />
        <YAxis {...axis} allowDecimals={false} width={40} />
        <Tooltip
          {...tooltipStyle}
          cursor={{ fillOpacity: 0.08 }}
          formatter={(v) => [String(v), "Predictions"]}
        />
        <Bar dataKey="count" fill={color} radius={[3, 3, 0, 0]} isAnimationActive={false} />
      </BarChart>
    </Frame>
  );
}

const ALGORITHM_COLORS: Record<string, string> = {
  kmeans: "#4f46e5",
  gmm: "#059669",
  agglomerative: "#d97706",
};

/** Silhouette per k, one line per algorithm (a model comparison). */
export function SilhouetteByAlgorithm({
  candidates,
}: {
  candidates: { algorithm: string; k: number; silhouette: number }[];
}) {
  const algorithms = [...new Set(candidates.map((c) => c.algorithm))];
  const ks = [...new Set(candidates.map((c) => c.k))].sort((a, b) => a - b);
  const data = ks.map((k) => ({
    k,
    ...Object.fromEntries(
      candidates.filter((c) => c.k === k).map((c) => [c.algorithm, c.silhouette]),
    ),
  }));
  return (
    <Frame>
      <LineChart
        accessibilityLayer={false}
        data={data}
        margin={{ top: 16, right: 20, bottom: 20, left: 4 }}
      >
        <CartesianGrid {...grid} />
        <XAxis
          dataKey="k"
          {...axis}
          label={{
            value: "k (clusters)",
            position: "insideBottom",
            offset: -10,
            fill: "currentColor",
            fontSize: 12,
          }}
        />
        <YAxis
          {...axis}
          width={48}
          domain={["auto", "auto"]}
          tickFormatter={(v: number) => v.toFixed(2)}
        />
        <Tooltip
          {...tooltipStyle}
          formatter={(v, name) => [typeof v === "number" ? v.toFixed(3) : String(v), name]}
          labelFormatter={(k) => `k = ${k}`}
        />
        {algorithms.map((algorithm) => (
          <Line
            key={algorithm}
            type="monotone"
            dataKey={algorithm}
            name={algorithm}
            stroke={ALGORITHM_COLORS[algorithm] ?? "#64748b"}
            strokeWidth={2}
            dot={{ r: 3 }}
            isAnimationActive={false}
          />
        ))}
      </LineChart>
    </Frame>
  );
}

/** Shares (0..1) as horizontal bars, e.g. feature importance. */
export function ShareBars({ data }: { data: { name: string; value: number }[] }) {
  return (
    <Frame>
      <BarChart
        accessibilityLayer={false}
        data={data}
        layout="vertical"
        margin={{ top: 4, right: 16, bottom: 4, left: 4 }}
      >
        <CartesianGrid {...grid} horizontal={false} />
        <XAxis
          type="number"
          {...axis}
          domain={[0, 1]}
          tickFormatter={(v: number) => `${Math.round(v * 100)} %`}
        />
        <YAxis type="category" dataKey="name" {...axis} width={130} interval={0} />
        <Tooltip
          {...tooltipStyle}
          cursor={{ fillOpacity: 0.08 }}
          formatter={(v) => [`${(Number(v) * 100).toFixed(1)} %`, "Importance"]}
        />
        <Bar dataKey="value" fill="#4f46e5" radius={[0, 4, 4, 0]} isAnimationActive={false} />
      </BarChart>
    </Frame>
  );
}
