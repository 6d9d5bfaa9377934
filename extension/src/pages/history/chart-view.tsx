/**
 * The spending chart as hand-drawn inline SVG: stacked bars per day, a few grid lines with
 * amounts, a legend with each site's total. Screen readers get a summary, a title on every
 * segment, and the legend as a list.
 */
import type { JSX } from 'preact';
import { formatMinor } from '../../ui/money.ts';
import { formatUtcDay } from '../../ui/wording.ts';
import type { SpendingChartModel } from './spending-chart.ts';

const width = 640;
const height = 220;
const plot = { left: 64, right: 8, top: 8, bottom: 24 };

export function SpendingChart(props: { chart: SpendingChartModel }): JSX.Element {
  const { chart } = props;
  const plotWidth = width - plot.left - plot.right;
  const plotHeight = height - plot.top - plot.bottom;
  const slot = plotWidth / Math.max(1, chart.days.length);
  const barWidth = Math.max(2, slot * 0.7);
  const y = (minor: number) => plot.top + plotHeight - (minor / chart.scaleMinor) * plotHeight;
  const ticks = [0, chart.scaleMinor / 2, chart.scaleMinor].filter(Number.isInteger);
  const labelEvery = Math.ceil(chart.days.length / 8);
  const first = chart.days[0];
  const last = chart.days.at(-1);
  const summary =
    first === undefined || last === undefined
      ? 'No spending.'
      : `${formatMinor(chart.currency, chart.totalMinor)} spent from ${formatUtcDay(first.day)} to ${formatUtcDay(last.day)}, on ${chart.series.length} ${chart.series.length === 1 ? 'site' : 'sites'}.`;
  const names = new Map(chart.series.map((series) => [series.label, series.name]));
  const label = (origin: string) => names.get(origin) ?? origin;

  return (
    <figure class="chart" data-testid="history-chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-labelledby="chart-title chart-desc">
        <title id="chart-title">Spending by site per day</title>
        <desc id="chart-desc">{summary}</desc>
        {ticks.map((tick) => (
          <g key={tick}>
            <line class="axis" x1={plot.left} x2={width - plot.right} y1={y(tick)} y2={y(tick)} />
            <text x={plot.left - 6} y={y(tick) + 4} text-anchor="end">
              {formatMinor(chart.currency, tick)}
            </text>
          </g>
        ))}
        {chart.days.map((day, index) => {
          const x = plot.left + index * slot + (slot - barWidth) / 2;
          return (
            <g key={day.day}>
              {day.segments.map((segment) => (
                <rect
                  key={segment.label}
                  x={x}
                  width={barWidth}
                  y={y(segment.baseMinor + segment.minor)}
                  height={Math.max(1, y(segment.baseMinor) - y(segment.baseMinor + segment.minor))}
                  fill={segment.color}
                >
                  <title>
                    {`${formatUtcDay(day.day)}: ${label(segment.label)} ${formatMinor(chart.currency, segment.minor)}`}
                  </title>
                </rect>
              ))}
              {index % labelEvery === 0 ? (
                <text x={x + barWidth / 2} y={height - 6} text-anchor="middle">
                  {formatUtcDay(day.day)}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <figcaption>
        <ul class="legend" aria-label="Sites">
          {chart.series.map((series) => (
            <li key={series.label}>
              <span class="swatch" style={{ background: series.color }} aria-hidden="true" />
              <span title={series.label}>{series.name}</span>
              <span class="muted">{series.totalText}</span>
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}
