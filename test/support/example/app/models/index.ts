import type { ModelDefinition } from '../../../../../lib/keel/models';
import { Customer } from './customer';
import { Order } from './order';
import { StockItem } from './stock-item';
import { Widget } from './widget';

/**
 * The product's models, initialised once by bin/www (initModels). keel ships none: add yours here
 * (npm run generate:resource writes one; docs/data.md#adding-a-resource).
 */
export const MODELS: readonly ModelDefinition[] = [
  Widget,
  StockItem,
  Customer,
  Order,
  // generate:resource adds models above this line
];
