/** The free section: read without paying, for comparison with the priced pages. */
import { type Article, prose } from './article.ts';

export const freeReads: readonly Article[] = [
  {
    slug: 'from-the-editor',
    title: 'From the Editor: Why We Charge a Few Cents',
    dek: 'No subscriptions, no adverts, no cookie banners. Just a price on each article, usually smaller than the coin you would leave for a newspaper on an honesty stall.',
    section: 'Editor\u2019s Note',
    author: 'Ruth Calloway, Editor',
    published: '2026-02-01',
    price: undefined,
    paragraphs: prose(`
      The Gazette has tried most ways of paying for journalism. We ran adverts, and spent more
      time arguing with tracking scripts than with sources. We asked for subscriptions, and found
      that most readers want three of our articles a month, not thirty, and quite reasonably will
      not pay for thirty to get three.

      So we are trying something simpler. Every article has a price, shown on the link before
      you click. Most cost between one and five cents; our long reads cost a little more. If you
      use a Farthing wallet, a click pays and opens the article, and the page stays open to you
      for a day. There is no account to create here, and we never see your card.

      Some pages stay free, like this one, the letters and the weather. Tell us what you think
      of the arrangement. Letters, as ever, go to the address at the bottom of the page.
    `),
  },
  {
    slug: 'letters',
    title: 'Letters to the Editor',
    dek: 'On the toll bridge, the bakery\u2019s radio, and whether a starling can be counted at all.',
    section: 'Letters',
    author: 'Our readers',
    published: '2026-02-15',
    price: undefined,
    paragraphs: prose(`
      Sir, your piece on Saltmarsh Bridge brought back forty years of crossings. My late husband
      always kept the exact toll in the ashtray of our car, and the car was sold with the coins
      still in it. I hope the new owner made good use of them. (Mrs J. Farrow, Upper Wend)

      Sir, the bakery on Quay Street is not as secret as your reporter suggests. Those of us on
      early shifts at the sorting office have been buying the broken loaves at the back door
      since 1998. We would be grateful if you did not print which door. (Name withheld)

      Sir, I have counted starlings for the census for nine winters and can confirm that it is
      impossible. I recommend it to anyone who enjoys doing something impossible in good company
      with cold hands. (D. Achebe, Promenade Terrace)
    `),
  },
  {
    slug: 'weather-and-tides',
    title: 'The Week\u2019s Weather and Tides',
    dek: 'Cold and bright to begin, turning milder and wetter from Thursday. Spring tides at the weekend.',
    section: 'Weather',
    author: 'The weather desk',
    published: '2026-02-16',
    price: undefined,
    paragraphs: prose(`
      A ridge of high pressure keeps the week dry and cold until Wednesday, with frost inland
      each night and bright, still afternoons on the coast. Thursday brings a band of rain from
      the south-west, followed by milder, showery weather for the weekend, with fresh winds on
      the headland.

      Spring tides arrive on Saturday and Sunday. High water at the harbour is at about
      eight in the morning and twenty past eight in the evening, with heights above five metres.
      With a south-westerly swell, the harbourmaster advises care at the harbour mouth on the
      ebb, and suggests that anyone walking the causeway checks the times before setting out.

      The starlings should perform well on Monday and Tuesday, which promise the clearest
      evenings of the week.
    `),
  },
];
