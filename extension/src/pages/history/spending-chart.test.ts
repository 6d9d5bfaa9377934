import { describe, expect, it } from 'vitest';
import { dayMs, layoutSpending, maxSeries, niceCeiling, otherSites } from './spending-chart.ts';

const now = Date.UTC(2025, 2, 10, 15, 30);
const today = Date.UTC(2025, 2, 10);

describe('layoutSpending', () => {
  it('stacks each day’s spending by site, largest site first', () => {
    const chart = layoutSpending(
      [
        { day: today, origin: 'https://a.example', minor: 5 },
        { day: today, origin: 'https://b.example', minor: 20 },
        { day: today - dayMs, origin: 'https://a.example', minor: 10 },
      ],
      { days: 3, now, currency: 'EUR' },
    );
    expect(chart.days.map((day) => day.day)).toEqual([today - 2 * dayMs, today - dayMs, today]);
    expect(chart.series.map((series) => [series.label, series.totalText])).toEqual([
      ['https://b.example', 'EUR 0.20'],
      ['https://a.example', 'EUR 0.15'],
    ]);
    expect(chart.days[2]?.segments).toEqual([
      { label: 'https://b.example', color: chart.series[0]?.color, minor: 20, baseMinor: 0 },
      { label: 'https://a.example', color: chart.series[1]?.color, minor: 5, baseMinor: 20 },
    ]);
    expect(chart.days[0]?.segments).toEqual([]);
    expect(chart.totalMinor).toBe(35);
    expect(chart.scaleMinor).toBe(50);
  });

  it('leaves out points outside the range and ones that are not positive integers', () => {
    const chart = layoutSpending(
      [
        { day: today - 7 * dayMs, origin: 'https://old.example', minor: 99 },
        { day: today + dayMs, origin: 'https://future.example', minor: 99 },
        { day: today, origin: 'https://a.example', minor: 1.5 },
        { day: today, origin: 'https://a.example', minor: 3 },
      ],
      { days: 7, now, currency: 'EUR' },
    );
    expect(chart.totalMinor).toBe(3);
    expect(chart.series.map((series) => series.label)).toEqual(['https://a.example']);
  });

  it('groups the smallest sites into one series beyond the palette', () => {
    const points = Array.from({ length: 9 }, (_, index) => ({
      day: today,
      origin: `https://site${index}.example`,
      minor: 100 - index,
    }));
    const chart = layoutSpending(points, { days: 1, now, currency: 'EUR' });
    expect(chart.series).toHaveLength(maxSeries);
    expect(chart.series.at(-1)?.label).toBe(otherSites);
    const other = chart.series.at(-1)?.totalMinor;
    expect(other).toBe(95 + 94 + 93 + 92);
    expect(chart.days[0]?.totalMinor).toBe(points.reduce((sum, point) => sum + point.minor, 0));
  });
});

describe('niceCeiling', () => {
  it('rounds up to 1, 2 or 5 times a power of ten', () => {
    expect([0, 1, 2, 3, 7, 10, 11, 35, 101, 499, 501].map(niceCeiling)).toEqual([
      1, 1, 2, 5, 10, 10, 20, 50, 200, 500, 1000,
    ]);
  });

  it('names each series by the site’s name when known, else by its host', () => {
    const chart = layoutSpending(
      [
        { day: today, origin: 'https://a.example', minor: 5 },
        { day: today, origin: 'http://127.0.0.1:8701', minor: 20 },
      ],
      {
        days: 1,
        now,
        currency: 'EUR',
        names: new Map([['http://127.0.0.1:8701', 'The Farthing Gazette']]),
      },
    );
    expect(chart.series.map((series) => [series.label, series.name])).toEqual([
      ['http://127.0.0.1:8701', 'The Farthing Gazette'],
      ['https://a.example', 'a.example'],
    ]);
  });
});
