import type { z } from 'zod';
import { answerFrom } from '../../../../../lib/keel/schemas/bodies';
import type { OrderRow } from '../models/order';
import { OrderBody, type OrderList } from '../schemas/order';

/** An order as answered: the fields OrderBody names, taken from its row (instants as ISO 8601). */
export const orderBody: (order: OrderRow) => z.output<typeof OrderBody> = answerFrom(OrderBody);

export function orderListBody(orders: readonly OrderRow[], next: string | null): z.output<typeof OrderList> {
  return { items: orders.map(orderBody), next };
}
