import { lazy } from "react";

// Recharts is loaded with the first chart that renders, never with the initial page.
const charts = () => import("./Charts");
export const CategoryBars = lazy(() => charts().then((m) => ({ default: m.CategoryBars })));
export const SegmentScatter = lazy(() => charts().then((m) => ({ default: m.SegmentScatter })));
export const MetricByK = lazy(() => charts().then((m) => ({ default: m.MetricByK })));
export const SilhouetteByAlgorithm = lazy(() =>
  charts().then((m) => ({ default: m.SilhouetteByAlgorithm })),
);
export const ShareBars = lazy(() => charts().then((m) => ({ default: m.ShareBars })));
export const TimeBars = lazy(() => charts().then((m) => ({ default: m.TimeBars })));
export { ChartFigure, DataTable } from "./ChartFigure";
export type { BarDatum, ScatterPoint } from "./Charts";
