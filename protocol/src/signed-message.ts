/**
 * A signed message type, declared once: its domain-separation tag, its version and the name
 * errors give it. From that declaration follow what every such type needs and used to write
 * by hand: the canonical signing bytes under that tag and version (`signingBytes`), the check
 * of a value's `version` at the API boundary, and the wire schema of its `version` field.
 * Each message module then declares only its fields: how they are written, checked and parsed.
 *
 * A version other than ours is always `unsupported_version` (not `invalid_argument` or
 * `invalid_message`), so a peer speaking a newer version is told so.
 */
import * as v from 'valibot';
import { type CanonicalWriter, type SigningTagName, signingBytes } from './encoding.ts';
import { FarthingError } from './errors.ts';
import { codedTransform } from './schema.ts';

export interface SignedMessageType<V extends number> {
  readonly tag: SigningTagName;
  readonly version: V;
  /** What errors call a message of this type, e.g. "change request". */
  readonly what: string;
  /** `signingBytes(tag, version, writeFields)`: the bytes that are signed. */
  signingBytes(writeFields: (writer: CanonicalWriter) => void): Uint8Array;
  /** Throws `unsupported_version` unless `version` is this type's. */
  assertVersion(version: unknown): asserts version is V;
  /** The wire schema of the `version` field: this version, else `unsupported_version`. */
  readonly versionSchema: v.GenericSchema<unknown, V>;
}

export function signedMessageType<V extends number>(
  tag: SigningTagName,
  version: V,
  what: string,
): SignedMessageType<V> {
  const unsupported = (got: unknown) =>
    new FarthingError('unsupported_version', `${what} version ${String(got)} is not supported`, {
      details: { field: 'version', expected: version, got },
    });
  return Object.freeze({
    tag,
    version,
    what,
    signingBytes: (writeFields: (writer: CanonicalWriter) => void) =>
      signingBytes(tag, version, writeFields),
    assertVersion(got: unknown): asserts got is V {
      if (got !== version) throw unsupported(got);
    },
    versionSchema: v.pipe(
      v.unknown(),
      codedTransform<unknown, V>((got) => {
        if (got === version) return version;
        throw unsupported(got);
      }),
    ),
  });
}
