import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { signingBytes } from './encoding.ts';
import { catchFarthingError } from './errors.fixture.ts';
import { parseMessage } from './schema.ts';
import { signedMessageType } from './signed-message.ts';

const changeRequest = signedMessageType('changeRequest', 1, 'change request');

describe('signedMessageType', () => {
  it('signs over the canonical bytes of its tag and version', () => {
    const write = (w: Parameters<Parameters<typeof signingBytes>[2]>[0]) => {
      w.string('issuance-0123456789', 'issuanceId');
    };
    expect(changeRequest.signingBytes(write)).toEqual(signingBytes('changeRequest', 1, write));
    expect(changeRequest.signingBytes(write)).not.toEqual(signingBytes('changeRequest', 2, write));
  });

  it('refuses another version at the boundary as unsupported_version, naming it', () => {
    expect(() => changeRequest.assertVersion(1)).not.toThrow();
    const error = catchFarthingError(() => changeRequest.assertVersion(2));
    expect(error.code).toBe('unsupported_version');
    expect(error.shortMessage).toBe('change request version 2 is not supported');
    expect(error.details).toMatchObject({ field: 'version', expected: 1, got: 2 });
  });

  it('refuses another version on the wire as unsupported_version', () => {
    const schema = v.strictObject({ version: changeRequest.versionSchema });
    expect(parseMessage(schema, { version: 1 }, 'change request')).toEqual({ version: 1 });
    const error = catchFarthingError(() =>
      parseMessage(schema, { version: '1' }, 'change request'),
    );
    expect(error.code).toBe('unsupported_version');
  });
});
