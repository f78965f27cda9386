/**
 * The explorer's two charts on uPlot (served from node_modules by the sequencer): events per minute per stream, and
 * commit-to-anchor latency per commitment. Each chart comes with a table of the same numbers, for keyboards, screen
 * readers and tests. The pure bucketing functions are exported for the tests.
 */
import uPlot from "./vendor/uPlot.esm.js";

const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777"];

/**
 * Counts events per UTC minute: `series` is `[{ label, times: [RFC 3339…] }]`; returns `{ minutes: [unix seconds…],
 * counts: [[per minute…] per series] }` over the union of minutes, sorted, zero where a stream had none.
 */
export function eventsPerMinute(series) {
  const minuteOf = (t) => Math.floor(Date.parse(t) / 60000) * 60;
  const all = new Set();
  const perSeries = series.map((s) => {
    const m = new Map();
    for (const t of s.times) {
      const k = minuteOf(t);
      if (Number.isNaN(k)) continue;
      all.add(k);
      m.set(k, (m.get(k) ?? 0) + 1);
    }
    return m;
  });
  const minutes = [...all].sort((a, b) => a - b);
  return { minutes, counts: perSeries.map((m) => minutes.map((k) => m.get(k) ?? 0)) };
}

/** Seconds from `committed_at` to `anchored_at` of anchored commitments, sorted by commit time. */
export function anchorLatencies(commitments) {
  return commitments
    .filter((c) => c.anchored_at !== null && c.anchored_at !== undefined)
    .map((c) => ({
      committedAt: Date.parse(c.committed_at) / 1000,
      seconds: (Date.parse(c.anchored_at) - Date.parse(c.committed_at)) / 1000,
      batchId: c.batch_id,
      storeId: c.store_id,
    }))
    .filter((l) => Number.isFinite(l.seconds))
    .sort((a, b) => a.committedAt - b.committedAt);
}

/**
 * The x scale of a time chart over `xs`: for a single point uPlot would span 1000 days (its one-point default assumes
 * milliseconds), so that case gets an hour around the point; otherwise the data's (or the zoom's) extent.
 */
function timeScale(xs) {
  const single = xs.length > 0 && xs[0] === xs[xs.length - 1];
  return { time: true, range: (_u, min, max) => (single ? [xs[0] - 1800, xs[0] + 1800] : [min, max]) };
}

/** A duration in seconds for people: milliseconds below one second. */
export function formatSeconds(seconds) {
  return seconds < 1 ? `${Math.round(seconds * 1000)} ms` : `${seconds.toFixed(1)} s`;
}

/** Draws a uPlot chart into `container` at its width, following its size; returns a `dispose()`. */
function plot(container, options, data) {
  const width = () => Math.max(280, container.clientWidth || 600);
  const chart = new uPlot({ ...options, width: width(), height: 260 }, data, container);
  const observer = new ResizeObserver(() => chart.setSize({ width: width(), height: 260 }));
  observer.observe(container);
  return () => {
    observer.disconnect();
    chart.destroy();
  };
}

/** The events-per-minute chart of `eventsPerMinute(series)` with the series' labels. */
export function eventsChart(container, labels, buckets) {
  return plot(
    container,
    {
      title: "Events per minute",
      scales: {
        x: timeScale(buckets.minutes),
        y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.2))] },
      },
      axes: [{}, { label: "events / min" }],
      series: [
        {},
        ...labels.map((label, i) => ({
          label,
          stroke: COLORS[i % COLORS.length],
          width: 2,
          points: { show: true, size: 5 },
        })),
      ],
    },
    [buckets.minutes, ...buckets.counts],
  );
}

/** The commit-to-anchor latency chart of `anchorLatencies(…)` (one point per anchored commitment). */
export function latencyChart(container, latencies) {
  return plot(
    container,
    {
      title: "Commit-to-anchor latency",
      scales: { x: timeScale(latencies.map((l) => l.committedAt)) },
      axes: [{}, { label: "seconds" }],
      series: [
        {},
        {
          label: "latency (s)",
          stroke: COLORS[0],
          width: 0,
          paths: () => null,
          points: { show: true, size: 7, fill: COLORS[0] },
        },
      ],
    },
    [latencies.map((l) => l.committedAt), latencies.map((l) => l.seconds)],
  );
}
