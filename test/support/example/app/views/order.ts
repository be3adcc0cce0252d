import type { z } from 'zod';
import type { OrderRow } from '../models/order';
import type { OrderBody, OrderList } from '../schemas/order';

export function orderBody(order: OrderRow): z.output<typeof OrderBody> {
  return {
    id: order.id,
    customerId: order.customerId,
    total: order.total,
    note: order.note,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}

export function orderListBody(orders: readonly OrderRow[], next: string | null): z.output<typeof OrderList> {
  return { items: orders.map(orderBody), next };
}
