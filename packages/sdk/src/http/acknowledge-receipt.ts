import { errorMessage } from '../error-message.ts';
import type { Logger } from '../ports/logger.ts';
import type { TenantRuntime } from '../ports/tenant-runtime.ts';
import {
  type DeliveryReceipt,
  RECEIPT_TIMEOUT_MS,
  type WebhookInterpretation,
  type WebhookSource,
} from '../ports/webhook-source.ts';
import { outsideScope } from '../scope.ts';
import { itemPath } from './dashboard-html.ts';

/**
 * Runs the source's acknowledgement of a fresh delivery before its events are handled (see
 * `WebhookSource.acknowledge`). Bounded by `RECEIPT_TIMEOUT_MS`; a failure or a timeout is logged and
 * the delivery handled all the same: the acknowledgement is a courtesy, the handling is the work.
 */
export async function acknowledgeReceipt(
  source: WebhookSource,
  interpretation: WebhookInterpretation,
  tenant: TenantRuntime,
  options: { publicUrl: string | undefined; logger: Logger },
): Promise<void> {
  if (!source.acknowledge) return;
  const receipt = deliveryReceipt(tenant, options.publicUrl);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), RECEIPT_TIMEOUT_MS);
  });
  try {
    const outcome = await Promise.race([source.acknowledge(interpretation, receipt), timeout]);
    if (outcome === 'timeout')
      options.logger.warn('delivery not acknowledged in time; handling it anyway', {
        tenant: tenant.id,
        source: source.source,
        waitedMs: RECEIPT_TIMEOUT_MS,
      });
  } catch (error) {
    options.logger.warn('delivery not acknowledged; handling it anyway', {
      tenant: tenant.id,
      source: source.source,
      error: errorMessage(error),
    });
  } finally {
    clearTimeout(timer);
  }
}

function deliveryReceipt(tenant: TenantRuntime, publicUrl: string | undefined): DeliveryReceipt {
  const { settings, ports } = tenant.factory;
  return {
    tenant: tenant.id,
    // The item's own page on the dashboard: its whole history, behind the tenant's sign-in.
    dashboardUrl: (workItemId) =>
      publicUrl ? new URL(itemPath(tenant.id, workItemId), publicUrl).href : undefined,
    refusal: (item) =>
      outsideScope(item, settings.scope) ??
      (ports.workItems.isReadyForDispatch(item) ? undefined : 'it is not ready for dispatch'),
  };
}
