import type { z } from 'zod';
import { answerFrom } from '../../../../../lib/keel/schemas/bodies';
import type { StockItemRow } from '../models/stock-item';
import { StockItemBody, type StockItemList } from '../schemas/stock-item';

/** A stock item as answered: the fields StockItemBody names, taken from its row (instants as ISO 8601). */
export const stockItemBody: (stockItem: StockItemRow) => z.output<typeof StockItemBody> = answerFrom(StockItemBody);

export function stockItemListBody(stockItems: readonly StockItemRow[], next: string | null): z.output<typeof StockItemList> {
  return { items: stockItems.map(stockItemBody), next };
}
