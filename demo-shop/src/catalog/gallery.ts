/**
 * The print gallery: illustrations from the Gazette's art desk, each sold on its own. The
 * prints are drawn as SVG from a few numbers per print, so the shop carries no binary assets;
 * the free page shows a blurred, watermarked preview, the priced `/full` address the print.
 */

export interface Print {
  /** `/gallery/<id>` (free preview page) and `/gallery/<id>/full` (priced). */
  readonly id: string;
  readonly title: string;
  readonly caption: string;
  readonly artist: string;
  readonly price: string;
  /** Sky top, sky bottom, far hills, near hills, water. */
  readonly palette: readonly [string, string, string, string, string];
  /** 0 = sun low on the left … 1 = high on the right. */
  readonly sun: number;
  /** Drives the shapes of the hills, so each print is its own. */
  readonly seed: number;
  readonly pier: boolean;
  readonly birds: number;
}

export const prints: readonly Print[] = [
  {
    id: 'harbour-dawn',
    title: 'Harbour at Dawn',
    caption: 'The inner basin at slack water, before the first boats go out.',
    artist: 'Ines Varga',
    price: 'EUR 0.03',
    palette: ['#f7c59f', '#fde8d0', '#8c7b9c', '#4d4063', '#6f8fb0'],
    sun: 0.25,
    seed: 7,
    pier: false,
    birds: 5,
  },
  {
    id: 'murmuration',
    title: 'Murmuration over the Old Pier',
    caption: 'Thirty-eight thousand starlings, give or take a fifth.',
    artist: 'Ines Varga',
    price: 'EUR 0.05',
    palette: ['#e8a87c', '#f5d6ba', '#6b5b73', '#3b3048', '#51657d'],
    sun: 0.1,
    seed: 19,
    pier: true,
    birds: 240,
  },
  {
    id: 'wend-valley',
    title: 'The Wend Valley in February',
    caption: 'Looking upriver from Carr Lane, after a week of rain.',
    artist: 'Callum Reyes',
    price: 'EUR 0.02',
    palette: ['#a7c4d9', '#e3eef5', '#7d9a83', '#4f6b55', '#8aa9b8'],
    sun: 0.7,
    seed: 31,
    pier: false,
    birds: 3,
  },
  {
    id: 'saltmarsh-bridge',
    title: 'Saltmarsh Bridge, Last Light',
    caption: 'The toll barrier, the estuary and the chapel on the far bank.',
    artist: 'Callum Reyes',
    price: 'EUR 0.04',
    palette: ['#d98c6a', '#f2c9a0', '#7a6a8a', '#463a5c', '#5d6f8c'],
    sun: 0.85,
    seed: 43,
    pier: true,
    birds: 12,
  },
  {
    id: 'night-shift',
    title: 'Quay Street, Night Shift',
    caption: 'The bakery\u2019s windows are the only ones lit at three in the morning.',
    artist: 'Noor Haddad',
    price: 'EUR 0.01',
    palette: ['#1d2540', '#34406b', '#2a2f4a', '#171b2e', '#26355c'],
    sun: 0.6,
    seed: 59,
    pier: false,
    birds: 0,
  },
  {
    id: 'spring-tide',
    title: 'Spring Tide on the Causeway',
    caption: 'Five metres of water where people walked at breakfast.',
    artist: 'Noor Haddad',
    price: 'EUR 0.06',
    palette: ['#9fc5d6', '#e6f2f5', '#6d8f8f', '#3e5f63', '#4f87a0'],
    sun: 0.45,
    seed: 71,
    pier: false,
    birds: 8,
  },
];

/** A small deterministic generator (a linear congruential one): the same print every time. */
function random(seed: number): () => number {
  let state = seed * 2_654_435_761;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

function hills(next: () => number, base: number, roughness: number): string {
  const points: string[] = ['0,600'];
  for (let x = 0; x <= 960; x += 40) {
    points.push(`${x},${Math.round(base - next() * roughness)}`);
  }
  points.push('960,600');
  return points.join(' ');
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The print as an SVG document; `preview` blurs it and writes PREVIEW across it. */
export function printSvg(print: Print, options: { readonly preview: boolean }): string {
  const next = random(print.seed);
  const [skyTop, skyBottom, far, near, water] = print.palette;
  const sunX = Math.round(80 + print.sun * 800);
  const sunY = Math.round(300 - Math.sin(print.sun * Math.PI) * 180);
  const waves = Array.from({ length: 9 }, (_, i) => {
    const y = 470 + i * 14;
    return `<path d="M0 ${y} Q 240 ${y - 6} 480 ${y} T 960 ${y}" stroke="#ffffff" stroke-opacity="0.18" fill="none"/>`;
  }).join('');
  const pier = print.pier
    ? `<g fill="${near}">${Array.from(
        { length: 14 },
        (_, i) => `<rect x="${520 + i * 28}" y="430" width="6" height="110"/>`,
      ).join('')}<rect x="510" y="420" width="400" height="12"/></g>`
    : '';
  const birds = Array.from({ length: print.birds }, () => {
    const x = Math.round(sunX - 200 + next() * 400);
    const y = Math.round(90 + next() * 160 + (print.birds > 50 ? Math.sin(x / 40) * 30 : 0));
    return `<path d="M${x} ${y} l4 -3 l4 3" stroke="#2b2430" fill="none" stroke-width="1.5"/>`;
  }).join('');
  const blur = options.preview
    ? '<filter id="soft"><feGaussianBlur stdDeviation="14"/></filter>'
    : '';
  const body = `<g${options.preview ? ' filter="url(#soft)"' : ''}>
<rect width="960" height="600" fill="url(#sky)"/>
<circle cx="${sunX}" cy="${sunY}" r="46" fill="#fff6dc" fill-opacity="0.9"/>
<polygon points="${hills(next, 380, 90)}" fill="${far}"/>
<polygon points="${hills(next, 440, 60)}" fill="${near}"/>
<rect y="460" width="960" height="140" fill="${water}"/>${waves}${pier}${birds}
</g>`;
  const watermark = options.preview
    ? '<text x="480" y="320" text-anchor="middle" font-family="Georgia, serif" font-size="72" fill="#ffffff" fill-opacity="0.75" letter-spacing="12">PREVIEW</text>'
    : '';
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 960 600" width="960" height="600" role="img" aria-label="${escapeXml(print.title)}">
<title>${escapeXml(`${print.title}, by ${print.artist}`)}</title>
<defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${skyTop}"/><stop offset="1" stop-color="${skyBottom}"/></linearGradient>${blur}</defs>
${body}${watermark}
</svg>
`;
}
