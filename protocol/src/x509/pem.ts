/**
 * PEM text (RFC 7468): base64 DER between `-----BEGIN <label>-----` and `-----END <label>-----`.
 *
 * Writing follows the strict form of RFC 7468 §3 (64-character lines, LF, final newline), so
 * OpenSSL and every other tool read it. Reading is the "lax" form §3 asks parsers to accept
 * (any whitespace inside the base64, text between blocks), but the base64 itself must be
 * canonical and the labels must match, so one PEM text has one meaning.
 */
import { base64 } from '@scure/base';
import { assertBytes, FarthingError } from '../errors.ts';

const labelPattern = /^[\x21-\x2c\x2e-\x7e](?:[- ]?[\x21-\x2c\x2e-\x7e])*$/; // RFC 7468 §3 "label"

function assertLabel(label: string): void {
  if (typeof label !== 'string' || !labelPattern.test(label)) {
    throw new FarthingError('invalid_argument', `"label" is not an RFC 7468 label`, {
      details: { field: 'label' },
    });
  }
}

/** DER bytes as one PEM block, e.g. `encodePem('CERTIFICATE', der)`. */
export function encodePem(label: string, der: Uint8Array): string {
  assertLabel(label);
  assertBytes(der, 'der');
  const text = base64.encode(der);
  const lines: string[] = [];
  for (let offset = 0; offset < text.length; offset += 64)
    lines.push(text.slice(offset, offset + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

const blockPattern =
  /-----BEGIN ([^-\r\n]*(?:-[^-\r\n]+)*)-----([\s\S]*?)-----END ([^-\r\n]*(?:-[^-\r\n]+)*)-----/g;

function malformed(reason: string): FarthingError {
  return new FarthingError('invalid_encoding', `PEM text ${reason}`, { details: { field: 'pem' } });
}

/**
 * Every block of `text`, in order, as DER bytes. Throws `invalid_encoding` when there is no
 * block, a block has another label than `label`, BEGIN and END labels differ, or the base64 is
 * not canonical.
 */
export function decodePem(text: string, label: string): Uint8Array[] {
  assertLabel(label);
  if (typeof text !== 'string') throw malformed('must be a string');
  const blocks: Uint8Array[] = [];
  for (const match of text.matchAll(blockPattern)) {
    const [, begin, body = '', end] = match;
    if (begin !== end) throw malformed(`has a BEGIN ${begin} block closed by END ${end}`);
    if (begin !== label) throw malformed(`has a ${begin} block where ${label} was expected`);
    // RFC 7468 §2: headers (RFC 1421 "Proc-Type:" and the like) are not part of this format.
    if (body.includes(':')) throw malformed('has encapsulated headers, which are not supported');
    try {
      blocks.push(base64.decode(body.replace(/[ \t\r\n]/g, '')));
    } catch (cause) {
      throw new FarthingError('invalid_encoding', 'PEM text is not canonical base64', {
        details: { field: 'pem' },
        cause,
      });
    }
  }
  if (blocks.length === 0) throw malformed(`contains no ${label} block`);
  return blocks;
}
