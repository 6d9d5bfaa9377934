import { describe, expect, it } from 'vitest';
import type { Transport } from '../messages/client.ts';
import { reportFailedDelivery } from './delivery-report.ts';

function recording(): { transport: Transport; sent: unknown[] } {
  const sent: unknown[] = [];
  return {
    sent,
    transport: async (message) => {
      sent.push(message);
      return { ok: true, value: true };
    },
  };
}

describe('reporting a paid page that failed', () => {
  it('reports a 5xx navigation with its status', () => {
    const { transport, sent } = recording();
    expect(reportFailedDelivery(transport, () => [{ responseStatus: 503 }])).toBe(true);
    expect(sent).toEqual([{ action: 'delivery.failed', input: { status: 503 } }]);
  });

  it('sends nothing for a page that answered, a 4xx, or a browser without the status', () => {
    const { transport, sent } = recording();
    for (const status of [200, 304, 402, 404, 0]) {
      expect(reportFailedDelivery(transport, () => [{ responseStatus: status }])).toBe(false);
    }
    expect(reportFailedDelivery(transport, () => [])).toBe(false);
    expect(sent).toEqual([]);
  });
});
