/**
 * The recovery phrase: the wallet's master secret (256 bits of entropy) written as a BIP-39
 * phrase of 24 English words (BIP-39 "Generating the mnemonic": 256 bits + 8 checksum bits,
 * 11 bits per word). `@scure/bip39` does the encoding; bip39-vectors.json pins it to the
 * published test vectors.
 *
 * Only the entropy matters to Farthing: seeds derive from it by HKDF (seeds.ts), not from the
 * BIP-39 PBKDF2 seed, since nothing here needs BIP-32 and the entropy is already uniform.
 */
import { entropyToMnemonic, mnemonicToEntropy, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { WalletFailure } from '../errors.ts';

export const masterSecretLength = 32;
export const phraseWordCount = 24;
/** How many words the user types back to show the phrase was written down. */
export const checkedWordCount = 3;

export function randomMasterSecret(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(masterSecretLength));
}

export function phraseOf(secret: Uint8Array): string[] {
  if (secret.length !== masterSecretLength) {
    throw new RangeError(`expected ${masterSecretLength}-byte "secret", got ${secret.length}`);
  }
  return entropyToMnemonic(secret, wordlist).split(' ');
}

/** Spaces, case and surrounding blanks do not matter; a wrong word or checksum does. */
export function normalizePhrase(phrase: string): string {
  return phrase.normalize('NFKD').trim().toLowerCase().split(/\s+/u).join(' ');
}

/** The master secret of a typed phrase, or `phrase_invalid`. */
export function secretOfPhrase(phrase: string): Uint8Array {
  const words = normalizePhrase(phrase);
  const count = words === '' ? 0 : words.split(' ').length;
  if (count !== phraseWordCount || !validateMnemonic(words, wordlist)) {
    const unknown = words.split(' ').find((word) => word !== '' && !wordlist.includes(word));
    throw new WalletFailure(
      'phrase_invalid',
      count !== phraseWordCount
        ? `A recovery phrase has ${phraseWordCount} words; this one has ${count}.`
        : unknown !== undefined
          ? `“${unknown}” is not a word of recovery phrases; check its spelling.`
          : 'These words are not a recovery phrase (a word is wrong or out of order).',
    );
  }
  return mnemonicToEntropy(words, wordlist);
}

/** `checkedWordCount` distinct positions (0-based, ascending) the user is asked to type back. */
export function positionsToCheck(random: (bound: number) => number = randomBelow): number[] {
  const positions = new Set<number>();
  while (positions.size < checkedWordCount) positions.add(random(phraseWordCount));
  return [...positions].sort((a, b) => a - b);
}

function randomBelow(bound: number): number {
  // Rejection sampling keeps every position equally likely.
  const limit = Math.floor(0x1_0000_0000 / bound) * bound;
  for (;;) {
    const [value] = crypto.getRandomValues(new Uint32Array(1));
    if (value! < limit) return value! % bound;
  }
}

/** Whether each answered word is the phrase's word at that position. */
export function answersMatch(
  phrase: readonly string[],
  answers: readonly { readonly position: number; readonly word: string }[],
): boolean {
  return (
    answers.length >= checkedWordCount &&
    answers.every(
      (answer) =>
        Number.isInteger(answer.position) &&
        phrase[answer.position] !== undefined &&
        normalizePhrase(answer.word) === phrase[answer.position],
    )
  );
}
