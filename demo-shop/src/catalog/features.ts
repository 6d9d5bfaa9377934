/** Four of the Gazette's priced articles: the features desk. */
import { type Article, prose } from './article.ts';

export const features: readonly Article[] = [
  {
    slug: 'saltmarsh-tollkeeper',
    title: 'The Last Tollkeeper of Saltmarsh Bridge',
    dek: 'For thirty-one years Agnes Pell has taken a few coins from every car that crosses the estuary. In March the barrier comes down for good.',
    section: 'Features',
    author: 'Miriam Hale',
    published: '2026-02-14',
    price: 'EUR 0.03',
    paragraphs: prose(`
      The toll booth on Saltmarsh Bridge is the size of a garden shed and smells faintly of
      paraffin and peppermints. Agnes Pell keeps the peppermints in a tin beside the till, one
      for every child who waves from a back seat. She has kept them there since 1995, when the
      toll was twenty pence and the queue on a summer Saturday reached back past the chapel.

      The bridge was built by a private company in 1887, and an act of that year allowed it to
      charge "a reasonable sum for the passage of carts, carriages and beasts". Nobody has ever
      repealed the act. The county council bought the company in 1962 and kept the toll because
      it paid for the paint, and because nobody could agree on what to do instead.

      What ends it now is not a protest but a spreadsheet. The council's finance committee
      worked out last year that collecting the toll costs more than it raises once the booth,
      the cash van and Mrs Pell's pension are counted. "They showed me the numbers," she says.
      "I said, you could have asked me. I could have told you that in 2009."

      She is not sentimental about the money. Small sums, she says, are harder to take than
      large ones: people who would hand over a banknote without a thought will search every
      pocket for the last coin rather than break it. She has learned to tell from the way a
      driver slows down whether they have the change ready. About one in ten do not.

      On the last day, the council plans a ribbon and a brass band. Mrs Pell plans to be on
      holiday. "I have watched the river go under this bridge twice a day for thirty-one
      years," she says. "I would like to see one that doesn't have a barrier across it."
    `),
  },
  {
    slug: 'why-the-penny-survives',
    title: 'Why the Penny Refuses to Die',
    dek: 'Economists have called for the end of the smallest coins for forty years. Shoppers, tills and charity boxes keep voting the other way.',
    section: 'Money',
    author: 'Tomas Ridley',
    published: '2026-02-11',
    price: 'EUR 0.05',
    paragraphs: prose(`
      Every few years a central bank publishes a paper showing that its smallest coin costs
      more to make than it is worth, and every few years the coin survives. The arithmetic is
      not in dispute. A one-cent coin made of copper-plated steel costs somewhere between one
      and two cents to strike and distribute, and most of them end up in jars.

      The argument for keeping them is mostly about prices. Shops like prices that end in nine,
      and a price that ends in nine needs a coin to give change with. Countries that dropped
      their smallest coins, such as Finland and the Netherlands, did not change their prices;
      they rounded the total at the till, in both directions, and found that it evened out.

      The argument that keeps winning is a different one. Small coins are how small payments
      happen at all: the tip jar, the parking meter, the collection box, the newspaper left on
      a stall with an honesty tin beside it. Take away the coin and the payment does not get
      bigger. It disappears, and with it a whole category of things worth a little.

      That is why the debate keeps moving online, where there has never been a penny. Card
      fees make anything under a euro or two uneconomic, so the web settled on advertising and
      subscriptions instead, neither of which is a price for the thing you actually want.
      Several schemes since the 1990s have tried to bring the penny back to the screen.

      None of them has yet stuck. The economists may be right about the coin in your pocket.
      But the question it answers, how to pay a few cents for something worth a few cents,
      has never gone away, and nobody has found a better answer than a small coin that is
      easy to hand over.
    `),
  },
  {
    slug: 'night-bakery',
    title: 'A Week Inside the Night Bakery on Quay Street',
    dek: 'The loaves in the city\u2019s cafés are made while the city sleeps, by six people, two ovens and a radio tuned to the shipping forecast.',
    section: 'City',
    author: 'Priya Okafor',
    published: '2026-02-09',
    price: 'EUR 0.02',
    paragraphs: prose(`
      The first dough at the Quay Street bakery is mixed at ten past eleven at night, when the
      pubs across the road are still calling last orders. By four in the morning there are
      nine hundred loaves cooling on racks taller than the people who stack them, and by six
      the vans have taken most of them away.

      Dariusz Nowak, who runs the night shift, has worked nights for nineteen years. He says the
      hardest part is not staying awake but eating lunch at three in the morning and dinner at
      noon. The team keeps a pot of soup on the back of the proving cabinet, where it stays warm
      without ever quite boiling, and it is usually gone by two.

      The ovens are old deck ovens, lined with stone, and each has its own temper. The left one
      runs hot at the back, so the rye goes in at the front. The right one loses heat when the
      door is opened in winter, so the baguettes are loaded in one quick movement with a long
      wooden peel that Dariusz's predecessor carved from a single plank of ash.

      At half past two the radio plays the shipping forecast, and the bakery goes quiet for it
      without anyone asking. Nobody on the shift has been to sea. "It tells you the night is
      half over," says Lena, who shapes the sourdough. "Dogger, Fisher, German Bight. After that
      it's downhill to breakfast."

      The bakery sells to forty cafés and three hospitals. It has never had a sign over its
      door, and most of the people who eat its bread every morning have never heard of it.
      Dariusz prefers it that way. "If you notice the bread," he says, "something went wrong."
    `),
  },
  {
    slug: 'library-fines',
    title: 'The Long Argument Over Library Fines',
    dek: 'The city\u2019s libraries stopped charging for late books in 2024. Two years on, more books have come back, and so have the arguments.',
    section: 'City',
    author: 'Owen Marsh',
    published: '2026-02-06',
    price: 'EUR 0.01',
    paragraphs: prose(`
      For most of the last century a late library book cost ten cents a day, and the fines
      brought in enough to pay for a part-time librarian in every branch. When the council
      abolished them in 2024, critics predicted that the shelves would empty as borrowers kept
      books for months without penalty.

      The opposite happened. In the first year without fines, returns of overdue books rose by
      a third, and eleven hundred lapsed members rejoined, many of them people who had stayed
      away for years because they owed a few euros and were embarrassed to come back. One
      branch received a book that had been due in 1987, with a note of apology.

      The librarians were not surprised. A fine, they say, works on people who were going to
      return the book anyway and frightens off the ones who were not. The borrowers most likely
      to run up a fine were children and people on low incomes, the two groups the library most
      wants to keep.

      The argument has not gone away. Some councillors point out that the fines were small but
      not nothing, and that the money now has to come from somewhere else. Others worry that
      without a price on lateness, the most popular books sit on bedside tables while the
      waiting lists grow. Both things are true, and the figures are not yet long enough to
      settle them.

      For now, the branch on Hollis Road has put a jar on the counter with a handwritten label:
      "No fines. But if you feel bad, we take coins." It collected thirty-four euros in its
      first month, mostly in coins of one and two cents.
    `),
  },
];
