/**
 * Downloads sold one by one: data and guides from the Gazette's desks. Each file is made on
 * request from a few lines of code, so the shop carries no binary assets.
 */

export interface Download {
  /** `/downloads/<file>`. */
  readonly file: string;
  readonly title: string;
  readonly description: string;
  readonly format: string;
  readonly price: string;
  readonly contentType: string;
  readonly contents: () => string;
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * High waters for the first quarter of 2026 from a one-constituent model: the principal lunar
 * semi-diurnal tide (M2, period 12 h 25.2 min) plus a fortnightly spring–neap swing. Good
 * enough to plan a walk by, which is what the file says it is for.
 */
function tideTable(): string {
  const m2Minutes = 745.2;
  const lines = ['date,high_water_1,height_1_m,high_water_2,height_2_m'];
  const start = Date.UTC(2026, 0, 1, 5, 12);
  for (let day = 0; day < 90; day++) {
    const date = new Date(Date.UTC(2026, 0, 1 + day));
    const cells = [date.toISOString().slice(0, 10)];
    for (const tide of [0, 1]) {
      const cycle = Math.floor((day * 1440) / m2Minutes) + tide;
      const at = new Date(start + cycle * m2Minutes * 60_000);
      const springNeap = Math.cos((2 * Math.PI * (day + tide / 2)) / 14.77);
      cells.push(`${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}`);
      cells.push((4.3 + 0.8 * springNeap).toFixed(1));
    }
    lines.push(cells.join(','));
  }
  return `${lines.join('\n')}\n`;
}

function coastWalk(): string {
  const points: string[] = [];
  for (let i = 0; i <= 40; i++) {
    const lat = 50.7021 + i * 0.00071 + Math.sin(i / 3) * 0.0004;
    const lon = -3.0644 + i * 0.0011 + Math.cos(i / 4) * 0.0006;
    const ele = Math.round(6 + 28 * Math.sin((i / 40) * Math.PI));
    points.push(
      `      <trkpt lat="${lat.toFixed(5)}" lon="${lon.toFixed(5)}"><ele>${ele}</ele></trkpt>`,
    );
  }
  return `<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="The Farthing Gazette" xmlns="http://www.topografix.com/GPX/1/1">
  <metadata><name>Saltmarsh Bridge to the Old Pier</name>
    <desc>6.2 km along the estuary path and the sea wall. Check the tide table before the causeway.</desc>
  </metadata>
  <trk><name>Saltmarsh coast walk</name>
    <trkseg>
${points.join('\n')}
    </trkseg>
  </trk>
</gpx>
`;
}

function starlingCounts(): string {
  const lines = ['winter,peak_count,counters,notes'];
  let count = 100_000;
  const change = (year: number) =>
    year === 2010 ? 0.62 : year === 2024 ? 1 : year === 2025 ? 1.23 : 0.97;
  for (let year = 2000; year <= 2025; year++) {
    // The long decline, the hard winter of 2010, a steady year and this winter's recovery.
    count = Math.round(count * change(year));
    const notes = year === 2010 ? 'hard frost, roost moved inland for 9 days' : '';
    lines.push(`${year}-${String(year + 1).slice(2)},${count},${3 + (year % 3)},${notes}`);
  }
  return `${lines.join('\n')}\n`;
}

const ryeLoaf = `THE QUAY STREET RYE LOAF
as made on the night shift, scaled down for a home oven (one loaf)

The night before
  100 g rye sourdough starter, active
  200 g wholemeal rye flour
  200 g water, warm from the tap
Stir together in a bowl, cover, and leave somewhere warm for 12 to 14 hours.

In the morning
  200 g wholemeal rye flour
  100 g strong white flour
  220 g water
  10 g salt
  1 tbsp dark treacle (optional; Dariusz says no, Lena says yes)
  1 tsp caraway seeds

1. Mix everything into the starter. Rye makes a paste, not a dough: do not knead it,
   just make sure there is no dry flour left.
2. Scrape into a greased 900 g loaf tin, smooth the top with a wet spoon and dust
   with rye flour.
3. Prove, covered, for 2 to 4 hours, until the top has risen by about a third and
   the flour on it has cracked.
4. Bake at 240 C for 15 minutes, then at 200 C for 45 minutes more.
5. Turn out and leave on a rack for a full day before cutting. This is the hard part.
   Rye keeps setting as it cools, and a warm loaf is gummy in the middle.

From the bakery: the left oven runs hot at the back, and so, probably, does yours.
Turn the tin halfway through.
`;

export const downloads: readonly Download[] = [
  {
    file: 'tide-table-2026-q1.csv',
    title: 'Harbour tide table, January to March 2026',
    description:
      'High-water times and heights for every day of the quarter, for walkers and sailors.',
    format: 'CSV',
    price: 'EUR 0.10',
    contentType: 'text/csv; charset=utf-8',
    contents: tideTable,
  },
  {
    file: 'saltmarsh-coast-walk.gpx',
    title: 'Saltmarsh Bridge to the Old Pier: the walk',
    description: 'Our favourite winter walk, 6.2 km, as a GPS track for your phone or watch.',
    format: 'GPX',
    price: 'EUR 0.05',
    contentType: 'application/gpx+xml',
    contents: coastWalk,
  },
  {
    file: 'starling-roost-counts.csv',
    title: 'Starling roost counts, 2000 to 2025',
    description: 'Peak winter counts at the old pier from the census volunteers\u2019 records.',
    format: 'CSV',
    price: 'EUR 0.06',
    contentType: 'text/csv; charset=utf-8',
    contents: starlingCounts,
  },
  {
    file: 'quay-street-rye-loaf.txt',
    title: 'The Quay Street rye loaf',
    description: 'The night bakery\u2019s rye, scaled down for one loaf in a home oven.',
    format: 'Text',
    price: 'EUR 0.04',
    contentType: 'text/plain; charset=utf-8',
    contents: () => ryeLoaf,
  },
];
