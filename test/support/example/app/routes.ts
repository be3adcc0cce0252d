import { KEEL_ROUTES } from '../../../../lib/keel/endpoints';
import type { RouteEntry } from '../../../../lib/keel/http';
import { CUSTOMER_OPERATIONS, customersController } from './controllers/customers';
import { ORDER_OPERATIONS, ordersController, CUSTOMER_ORDER_OPERATIONS, customerOrdersController } from './controllers/orders';
import { STOCK_ITEM_OPERATIONS, stockItemsController } from './controllers/stock-items';
import { WIDGET_OPERATIONS, widgetsController } from './controllers/widgets';

/** Every route of the service, mounted in this order by createApp. Add your resources here. */
export const ROUTES: readonly RouteEntry[] = [
  ...KEEL_ROUTES,
  { path: '/widgets', operations: WIDGET_OPERATIONS, access: 'authenticated', router: widgetsController },
  { path: '/stock_items', operations: STOCK_ITEM_OPERATIONS, access: 'authenticated', router: stockItemsController },
  { path: '/customers', operations: CUSTOMER_OPERATIONS, access: 'authenticated', router: customersController },
  { path: '/orders', operations: ORDER_OPERATIONS, access: 'authenticated', router: ordersController },
  { path: '/customers', operations: CUSTOMER_ORDER_OPERATIONS, access: 'authenticated', router: customerOrdersController },
  // generate:resource adds routes above this line
];
