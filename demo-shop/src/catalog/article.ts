/** What the Gazette publishes: the shape of an article, priced or free. */

export interface Article {
  /** The last path segment: `/articles/<slug>` (priced) or `/free/<slug>`. */
  readonly slug: string;
  readonly title: string;
  /** The standfirst under the headline. */
  readonly dek: string;
  readonly section: string;
  readonly author: string;
  /** ISO date of publication. */
  readonly published: string;
  /** `EUR 0.05`; undefined for the free section. */
  readonly price: string | undefined;
  readonly paragraphs: readonly string[];
}

/**
 * Paragraphs from a template literal: blank lines separate paragraphs, line breaks inside one
 * are spaces (so the text can be wrapped in the source like prose).
 */
export function prose(text: string): readonly string[] {
  return text
    .trim()
    .split(/\n\s*\n/)
    .map((paragraph) => paragraph.replace(/\s+/g, ' ').trim())
    .filter((paragraph) => paragraph.length > 0);
}

/** Minutes to read, at 230 words a minute. */
export function readingMinutes(article: Pick<Article, 'paragraphs'>): number {
  const words = article.paragraphs.join(' ').split(/\s+/).length;
  return Math.max(1, Math.round(words / 230));
}
