/** The other four priced articles: reports, science and the long read. */
import { type Article, prose } from './article.ts';

export const reports: readonly Article[] = [
  {
    slug: 'harbourmaster-notebook',
    title: 'Tide Tables, Annotated: A Harbourmaster\u2019s Notebook',
    dek: 'Forty years of pencil notes in the margins of the official tide tables, and what they say about a harbour the printed numbers do not.',
    section: 'Coast',
    author: 'Miriam Hale',
    published: '2026-02-03',
    price: 'EUR 0.08',
    paragraphs: prose(`
      When Robert Quayle retired as harbourmaster last autumn, he left behind forty-one copies
      of the annual tide tables, one for each year he held the job. The printed columns give
      the times and heights of high and low water. The margins are full of his handwriting, in
      pencil, in a code that took his successor a month to learn.

      A small circle means the tide came in later than printed; a cross means earlier. A wavy
      line beside a date means a swell from the south-west that the tables never predict, and
      that can lift the water in the inner basin by the height of a hand. Two wavy lines mean
      the fishing boats should not try the harbour mouth on the ebb.

      The tables are calculated from the movements of the moon and the sun, and for the open
      sea they are remarkably good. A harbour is another matter. Wind pushes water against the
      quay; low air pressure lets the sea rise; a week of rain upriver sends a freshet down the
      channel that fights the flood tide for an hour. Quayle wrote all of it down.

      Read in sequence, the notebooks tell a slower story too. In the 1980s the circles and
      crosses were scattered evenly through the year. In the last decade the crosses cluster in
      winter and the wavy lines have nearly doubled. Quayle never drew a graph. He did not need
      to. "The sea is getting in earlier," he wrote in the margin of January 2023, "and staying
      longer."

      The notebooks are now in the harbour office, on a shelf above the radio. The new
      harbourmaster has started her own, in the same code. She uses a pencil too. "Ink doesn't
      like the damp," she says, "and you always want to be able to change your mind."
    `),
  },
  {
    slug: 'river-survey',
    title: 'What the River Surveyors Found',
    dek: 'Volunteers tested the water at sixty points along the Wend every month for a year. Their results do not match the official ones, and the reason is in the timing.',
    section: 'Investigation',
    author: 'Tomas Ridley',
    published: '2026-01-29',
    price: 'EUR 0.12',
    paragraphs: prose(`
      The official reports on the River Wend describe it as in "moderate" health, a grade it
      has held for eleven years. The agency that writes them takes samples at six points, four
      times a year, on dates announced in advance. Last year a group of anglers, schoolteachers
      and retired chemists decided to take their own.

      Sixty volunteers walked the river on the first Sunday of every month, with test kits paid
      for by a crowdfunding page and checked against a university laboratory every quarter. They
      measured nitrates, phosphates, dissolved oxygen and turbidity, and they wrote down the
      weather. By December they had more than four thousand readings.

      Most of the time their results agreed with the agency's. The difference was in the days
      after heavy rain. On those days, below the two storm overflows at Millbrook and Carr
      Lane, phosphate levels rose to four and five times the usual reading, and dissolved oxygen
      fell to a level at which trout struggle to breathe. None of the agency's sampling dates
      fell on such a day.

      The water company that runs the overflows says that they operate within their permits,
      which allow discharges "in exceptional rainfall". The volunteers counted thirty-eight
      discharge days last year, and note that the permit does not define exceptional. The
      agency says it welcomes community science and will review the data.

      The group has no plans to stop. It has applied for funding for continuous sensors at the
      two overflows, which would record every hour rather than every month. "We are not trying
      to catch anyone out," says the group's coordinator, a former chemistry teacher named
      Helen Brandt. "We just want to know what the river is like on the days nobody looks."
    `),
  },
  {
    slug: 'chess-club',
    title: 'The Chess Club That Outlived Its Hall',
    dek: 'The Wednesday Club has met for 112 years in nine different rooms. Its latest home is the back of a launderette, and attendance has never been higher.',
    section: 'Community',
    author: 'Priya Okafor',
    published: '2026-01-24',
    price: 'EUR 0.04',
    paragraphs: prose(`
      The Wednesday Chess Club was founded in 1914 by a schoolmaster, a railway clerk and a
      pawnbroker, who met in the back room of the Bell and agreed to play every Wednesday "until
      the matter is settled". The club's minute book does not say which matter, and it has not
      been settled yet.

      The Bell was demolished in 1959. Since then the club has played in a church hall, a
      bowling club, two libraries, a former bank, the upstairs of a Chinese restaurant and a
      community centre that closed in 2023. Each time it lost a room, the members carried the
      boards, the clocks and a framed photograph of the founders to the next one.

      The current home is the back of the Suds launderette on Fenner Street, which stays open
      late on Wednesdays for the purpose. The owner, Kemal Arslan, learned to play in the
      queue for the dryers. The rent is paid in kind: members fold their own washing, and the
      club teaches Kemal's daughters on Saturday mornings.

      Attendance has doubled in two years. The newcomers are mostly young, and mostly learned
      the game on their phones. Some had never played across a real board before. The older
      members say the online players are faster and better at openings, and much worse at
      sitting still when they are losing.

      The club's president, a retired surveyor named Frank Ellery, thinks the launderette may
      be the best room yet. "It is warm, the machines cover the sound of people thinking, and
      nobody has ever tried to turn it into flats," he says. "Yet."
    `),
  },
  {
    slug: 'starling-census',
    title: 'Counting Starlings: A Winter Census',
    dek: 'Every evening in January, tens of thousands of starlings gather over the old pier. Counting them is harder than it looks, and the number matters more than you might think.',
    section: 'Nature',
    author: 'Owen Marsh',
    published: '2026-01-20',
    price: 'EUR 0.20',
    paragraphs: prose(`
      At about twenty to five on a clear January evening, the first starlings arrive over the
      old pier in small, loose groups, from the farmland inland and the gardens of the town.
      Within half an hour the groups have joined into one cloud that turns and folds above the
      water, and for ten minutes it is the only thing anyone on the promenade is looking at.

      Then, all at once, the birds drop into the ironwork under the pier to roost, and the sky
      is empty. The whole performance takes less than an hour. For the volunteers of the winter
      census, that hour is the only chance to count them, and the birds do not make it easy.

      The method is older than the pier. A counter estimates a block of birds, say fifty,
      then judges how many such blocks make up the flock, and multiplies. Three counters stand
      at different points along the promenade and work independently. Their estimates rarely
      agree to within a fifth, and the census records all three rather than pretending to
      more precision than it has.

      Photographs help, but less than you would think. A single frame catches a flock at one
      moment, and a murmuration is never all in view at once: parts of it are behind other
      parts, or still arriving, or already roosting. The census now uses short video clips,
      counted frame by frame by a second team of volunteers in the warm, weeks later.

      The numbers matter because starlings have declined by more than half across the country
      since the 1970s, mostly because there are fewer insects in farmland soil for the young to
      eat. Roost counts are one of the few long records of how many birds survive each winter.
      This year's peak count at the pier was thirty-eight thousand, up from thirty-one thousand
      last year, and the highest since 2011.

      Nobody on the census team thinks one good year means the decline is over. Starling
      numbers swing with the weather, the harvest and the size of last summer's broods. But the
      record is long enough now to show the shape of things, and the volunteers, most of whom
      are over sixty, are trying hard to recruit counters young enough to keep it going for
      another forty years.

      They meet on the promenade by the pier gates at half past four every evening until the
      end of February. Bring gloves, a notebook and a pencil. Ink, as one counter put it,
      freezes before the birds have finished arriving.
    `),
  },
];
