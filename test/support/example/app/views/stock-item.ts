import type { z } from 'zod';
import type { StockItemRow } from '../models/stock-item';
import type { StockItemBody, StockItemList } from '../schemas/stock-item';

export function stockItemBody(stockItem: StockItemRow): z.output<typeof StockItemBody> {
  return {
    id: stockItem.id,
    tenantId: stockItem.tenantId,
    madeOn: stockItem.madeOn,
    label: stockItem.label,
    weight: stockItem.weight,
    serial: stockItem.serial,
    active: stockItem.active,
    ref: stockItem.ref,
    seenAt: stockItem.seenAt?.toISOString() ?? null,
    body: stockItem.body,
    rank: stockItem.rank,
    createdAt: stockItem.createdAt.toISOString(),
    updatedAt: stockItem.updatedAt.toISOString(),
  };
}

export function stockItemListBody(stockItems: readonly StockItemRow[], next: string | null): z.output<typeof StockItemList> {
  return { items: stockItems.map(stockItemBody), next };
}
