/**
 * The card's EEPROM: its whole state in one file, replaced atomically. A command either
 * completes or leaves the card as it was, across a power cut at any point, as on a real card
 * with transaction-safe EEPROM writes:
 *
 *   1. write the new state to `<file>.new` in 64-byte pages, then fsync it;
 *   2. rename it over `<file>` (POSIX rename(2) replaces the name atomically);
 *   3. fsync the directory, so the rename itself is durable.
 *
 * Until step 2 the old state is the state; after it, the new one. A `<file>.new` left by a cut
 * is discarded at the next power-on. The file operations go through `CardFileSystem` so the
 * power-cut test can stop the card between any two of them, or in the middle of a page.
 */
import * as fs from 'node:fs/promises';
import { dirname } from 'node:path';

/** Bytes per write, as an EEPROM writes a page at a time. */
export const eepromPageSize = 64;

export interface CardFile {
  write(bytes: Uint8Array, position: number): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface CardFileSystem {
  readFile(path: string): Promise<Uint8Array | undefined>;
  /** Creates or truncates. */
  create(path: string): Promise<CardFile>;
  rename(from: string, to: string): Promise<void>;
  remove(path: string): Promise<void>;
  syncDirectory(path: string): Promise<void>;
}

export const nodeCardFileSystem: CardFileSystem = {
  async readFile(path) {
    try {
      return new Uint8Array(await fs.readFile(path));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  },
  async create(path) {
    const handle = await fs.open(path, 'w', 0o600);
    return {
      write: async (bytes, position) => {
        await handle.write(bytes, 0, bytes.length, position);
      },
      sync: () => handle.sync(),
      close: () => handle.close(),
    };
  },
  rename: (from, to) => fs.rename(from, to),
  async remove(path) {
    await fs.rm(path, { force: true });
  },
  async syncDirectory(path) {
    const handle = await fs.open(path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};

export class CardStorage {
  readonly #path: string;
  readonly #fs: CardFileSystem;

  constructor(path: string, fileSystem: CardFileSystem = nodeCardFileSystem) {
    this.#path = path;
    this.#fs = fileSystem;
  }

  get path(): string {
    return this.#path;
  }

  /** Power-on: drops a half-written `.new` and returns the committed state, if any. */
  async load(): Promise<Uint8Array | undefined> {
    await this.#fs.remove(`${this.#path}.new`);
    return this.#fs.readFile(this.#path);
  }

  /** Replaces the state; when this returns, the new state survives a power cut. */
  async commit(bytes: Uint8Array): Promise<void> {
    const next = `${this.#path}.new`;
    const file = await this.#fs.create(next);
    try {
      for (let offset = 0; offset < bytes.length; offset += eepromPageSize) {
        await file.write(bytes.subarray(offset, offset + eepromPageSize), offset);
      }
      await file.sync();
    } finally {
      await file.close();
    }
    await this.#fs.rename(next, this.#path);
    await this.#fs.syncDirectory(dirname(this.#path));
  }
}
