/** Delivery analytics: the DORA metrics of a project's releases, and the reports that show them. */

export { BAND_THRESHOLDS, doraBands } from "./band.js";
export { type AnalyticsInput, buildHistory } from "./history.js";
export { renderHtml } from "./html.js";
export { renderMarkdown } from "./markdown.js";
export { computeMetrics, incidents } from "./metrics.js";
export { computeReport, DEFAULT_WINDOW_MS, reportWindow } from "./report.js";
export { median, quantile } from "./stats.js";
export { deliveryReport, readAnalyticsInput } from "./store-reader.js";
export type * from "./types.js";
export { REPORT_SCHEMA } from "./types.js";
