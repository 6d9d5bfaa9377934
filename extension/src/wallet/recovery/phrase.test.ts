import { readFileSync } from 'node:fs';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { entropyToMnemonic, mnemonicToEntropy, mnemonicToSeedSync } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { describe, expect, it } from 'vitest';
import {
  answersMatch,
  checkedWordCount,
  phraseOf,
  positionsToCheck,
  randomMasterSecret,
  secretOfPhrase,
} from './phrase.ts';

interface Bip39Vectors {
  readonly passphrase: string;
  readonly vectors: readonly { entropy: string; mnemonic: string; seed: string }[];
}
const vectors = JSON.parse(
  readFileSync(new URL('./bip39-vectors.json', import.meta.url), 'utf8'),
) as Bip39Vectors;

describe('BIP-39 through @scure/bip39, against the published vectors', () => {
  it.each(vectors.vectors)('encodes $entropy as its phrase and back', (vector) => {
    expect(entropyToMnemonic(hexToBytes(vector.entropy), wordlist)).toBe(vector.mnemonic);
    expect(bytesToHex(mnemonicToEntropy(vector.mnemonic, wordlist))).toBe(vector.entropy);
  });

  it('derives each vector’s seed with the passphrase TREZOR (the library is the BIP-39 one)', () => {
    for (const vector of vectors.vectors) {
      expect(bytesToHex(mnemonicToSeedSync(vector.mnemonic, vectors.passphrase))).toBe(vector.seed);
    }
  });
});

describe('the recovery phrase', () => {
  const vector = vectors.vectors.find((v) => v.entropy.length === 64)!;

  it('writes a 256-bit master secret as 24 words and reads it back', () => {
    expect(phraseOf(hexToBytes(vector.entropy)).join(' ')).toBe(vector.mnemonic);
    expect(bytesToHex(secretOfPhrase(vector.mnemonic))).toBe(vector.entropy);
    const secret = randomMasterSecret();
    expect(secretOfPhrase(phraseOf(secret).join(' '))).toEqual(secret);
  });

  it('reads a phrase typed with other spacing and capitals', () => {
    const typed = `  ${vector.mnemonic.toUpperCase().split(' ').join('   ')}\n`;
    expect(bytesToHex(secretOfPhrase(typed))).toBe(vector.entropy);
  });

  it('refuses a phrase of the wrong length, an unknown word or a broken checksum', () => {
    const words = vector.mnemonic.split(' ');
    const short = vectors.vectors[0]!.mnemonic;
    expect(() => secretOfPhrase(short)).toThrow(
      expect.objectContaining({ code: 'phrase_invalid' }),
    );
    expect(() => secretOfPhrase([...words.slice(0, 23), 'bitcoinz'].join(' '))).toThrow(
      /“bitcoinz” is not a word/,
    );
    // Swapping two different words keeps every word valid but breaks the checksum.
    const i = words.findIndex((word) => word !== words[0]);
    const swapped = [...words];
    [swapped[0], swapped[i]] = [swapped[i]!, swapped[0]!];
    expect(() => secretOfPhrase(swapped.join(' '))).toThrow(
      expect.objectContaining({ code: 'phrase_invalid' }),
    );
  });

  it('asks for distinct positions and accepts only the right words there', () => {
    for (let round = 0; round < 50; round++) {
      const positions = positionsToCheck();
      expect(new Set(positions).size).toBe(checkedWordCount);
      expect(positions.every((p) => p >= 0 && p < 24)).toBe(true);
    }
    const words = vector.mnemonic.split(' ');
    const right = [0, 5, 23].map((position) => ({ position, word: words[position]! }));
    expect(answersMatch(words, right)).toBe(true);
    expect(answersMatch(words, right.slice(0, 2))).toBe(false);
    expect(answersMatch(words, [...right.slice(0, 2), { position: 23, word: words[22]! }])).toBe(
      words[22] === words[23],
    );
    expect(answersMatch(words, [...right.slice(0, 2), { position: 24, word: 'zoo' }])).toBe(false);
  });
});
