// @vitest-environment happy-dom
import { cleanup, fireEvent, render, waitFor } from '@testing-library/preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DeliveryView } from '../../messages/delivery.ts';
import type { Platform } from '../../ui/platform.ts';
import { type FakeBackground, fakeBackground, refusal } from '../../ui/testing/fake-background.ts';
import { NotDelivered } from './not-delivered.tsx';

const at = Date.UTC(2025, 2, 10, 12);

function delivery(status: DeliveryView['status'], overrides: Partial<DeliveryView> = {}) {
  return {
    paymentId: 'pay-1',
    status,
    what: 'content',
    title: 'The harbour report',
    url: 'http://127.0.0.1:8701/articles/harbour',
    origin: 'http://127.0.0.1:8701',
    merchantName: 'The Farthing Gazette',
    price: { currency: 'EUR', minor: 12, text: 'EUR 0.12' },
    instrument: 'ecash',
    receiptId: 'receipt-1',
    firstFailureAt: at,
    notDeliveredAt: at + 120_000,
    checks: 3,
    lastStatus: 503,
    refunded: null,
    error: null,
    ...overrides,
  } satisfies DeliveryView;
}

function platformOf(background: FakeBackground): Platform {
  return {
    transport: background.transport,
    openPage: vi.fn(),
    download: vi.fn(),
    closeWindow: vi.fn(),
  };
}

afterEach(cleanup);

describe('paid, not delivered (history)', () => {
  it('shows nothing when every payment arrived', async () => {
    const background = fakeBackground({ 'delivery.list': () => [] });
    const view = render(<NotDelivered platform={platformOf(background)} />);
    await waitFor(() => expect(background.callsOf('delivery.list')).toHaveLength(1));
    expect(view.container.textContent).toBe('');
  });

  it('says how long the wallet keeps trying before a refund can be asked', async () => {
    const background = fakeBackground({ 'delivery.list': () => [delivery('retrying')] });
    const view = render(<NotDelivered platform={platformOf(background)} />);
    await waitFor(() =>
      expect(view.getByTestId('delivery-status').textContent).toContain('trying'),
    );
    expect(view.container.textContent).toContain('2 minutes');
    expect(view.queryByTestId('delivery-refund')).toBeNull();
  });

  it('asks for the refund in one click and shows what came back', async () => {
    let refunded = false;
    const background = fakeBackground({
      'delivery.list': () => [
        refunded
          ? delivery('refunded', { refunded: { currency: 'EUR', minor: 12, text: 'EUR 0.12' } })
          : delivery('not_delivered'),
      ],
      'delivery.requestRefund': () => {
        refunded = true;
        return delivery('refunded', { refunded: { currency: 'EUR', minor: 12, text: 'EUR 0.12' } });
      },
    });
    const view = render(<NotDelivered platform={platformOf(background)} />);
    const button = await view.findByTestId('delivery-refund');
    expect(view.getByTestId('delivery-prove')).toBeTruthy();
    fireEvent.click(button);
    await waitFor(() =>
      expect(view.getByTestId('delivery-refunded').textContent).toContain('EUR 0.12'),
    );
    expect(background.callsOf('delivery.requestRefund')).toEqual([{ paymentId: 'pay-1' }]);
    expect(view.queryByTestId('delivery-refund')).toBeNull();
  });

  it('shows the merchant refusing and lets the user ask again', async () => {
    const background = fakeBackground({
      'delivery.list': () => [
        delivery('refund_refused', {
          error: {
            code: 'merchant_refused',
            message: 'The merchant refused: the content was delivered',
          },
        }),
      ],
      'delivery.requestRefund': () => {
        throw refusal('merchant_refused', 'The merchant refused: the content was delivered');
      },
    });
    const view = render(<NotDelivered platform={platformOf(background)} />);
    fireEvent.click(await view.findByTestId('delivery-refund'));
    await waitFor(() =>
      expect(view.getByTestId('delivery-error').textContent).toContain('refused'),
    );
    expect(view.getByTestId('delivery-refund')).toBeTruthy();
  });
});
