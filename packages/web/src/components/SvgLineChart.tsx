/**
 * A tiny line chart in SVG: one or more series over the same buckets. It is an image to assistive
 * technology (`role="img"`) whose `summary` says what it shows; the numbers go in a table beside it.
 */
import "./console.css";

export interface ChartSeries {
  readonly name: string;
  /** One value per bucket; null where there is none (drawn as a gap). */
  readonly values: readonly (number | null)[];
}

const colours = ["#0b57b0", "#a1121b", "#14532d", "#7a4d00"];
const width = 320;
const height = 120;
const pad = 24;

export function SvgLineChart({ summary, series, unit = "" }: { summary: string; series: readonly ChartSeries[]; unit?: string }) {
  const all = series.flatMap((line) => line.values.filter((value): value is number => value !== null));
  const max = Math.max(1e-9, ...all);
  const buckets = Math.max(1, ...series.map((line) => line.values.length));
  const x = (index: number) => pad + (buckets === 1 ? 0 : (index / (buckets - 1)) * (width - 2 * pad));
  const y = (value: number) => height - pad - (value / max) * (height - 2 * pad);
  return (
    <svg className="svg-chart" role="img" aria-label={summary} viewBox={`0 0 ${width} ${height}`} width={width} height={height}>
      <line x1={pad} y1={height - pad} x2={width - pad} y2={height - pad} stroke="#5a6773" />
      <line x1={pad} y1={pad} x2={pad} y2={height - pad} stroke="#5a6773" />
      <text x={2} y={pad - 6} fontSize="10" fill="#1b1f23">
        {formatNumber(max)}
        {unit}
      </text>
      {series.map((line, index) => (
        <polyline
          key={line.name}
          fill="none"
          stroke={colours[index % colours.length]}
          strokeWidth={2}
          strokeDasharray={index === 0 ? undefined : "4 3"}
          points={line.values.flatMap((value, at) => (value === null ? [] : [`${x(at)},${y(value)}`])).join(" ")}
        />
      ))}
      {series.map((line, index) => (
        <text key={line.name} x={pad + index * 110} y={height - 6} fontSize="10" fill={colours[index % colours.length]}>
          {index === 0 ? "——" : "- - -"} {line.name}
        </text>
      ))}
    </svg>
  );
}

export function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(value < 1 ? 3 : 1);
}

/** Grouped bars: one group per label, one bar per series (e.g. p50/p95/p99 per route). */
export function SvgBarChart({ summary, labels, series, unit = "" }: { summary: string; labels: readonly string[]; series: readonly ChartSeries[]; unit?: string }) {
  const all = series.flatMap((bars) => bars.values.filter((value): value is number => value !== null));
  const max = Math.max(1e-9, ...all);
  const groupWidth = (width - 2 * pad) / Math.max(1, labels.length);
  const barWidth = Math.max(2, (groupWidth - 6) / Math.max(1, series.length));
  return (
    <svg className="svg-chart" role="img" aria-label={summary} viewBox={`0 0 ${width} ${height}`} width={width} height={height}>
      <line x1={pad} y1={height - pad} x2={width - pad} y2={height - pad} stroke="#5a6773" />
      <text x={2} y={pad - 6} fontSize="10" fill="#1b1f23">
        {formatNumber(max)}
        {unit}
      </text>
      {labels.map((label, group) =>
        series.map((bars, index) => {
          const value = bars.values[group] ?? null;
          const barHeight = value === null ? 0 : (value / max) * (height - 2 * pad);
          return (
            <rect
              key={`${label}-${bars.name}`}
              x={pad + group * groupWidth + 3 + index * barWidth}
              y={height - pad - barHeight}
              width={barWidth - 1}
              height={barHeight}
              fill={colours[index % colours.length]}
            />
          );
        }),
      )}
      {series.map((bars, index) => (
        <text key={bars.name} x={pad + index * 60} y={height - 6} fontSize="10" fill={colours[index % colours.length]}>
          ■ {bars.name}
        </text>
      ))}
    </svg>
  );
}
