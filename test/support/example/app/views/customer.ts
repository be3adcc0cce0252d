import type { z } from 'zod';
import { answerFrom } from '../../../../../lib/keel/schemas/bodies';
import type { CustomerRow } from '../models/customer';
import { CustomerBody, type CustomerList } from '../schemas/customer';

/** A customer as answered: the fields CustomerBody names, taken from its row (instants as ISO 8601). */
export const customerBody: (customer: CustomerRow) => z.output<typeof CustomerBody> = answerFrom(CustomerBody);

export function customerListBody(customers: readonly CustomerRow[], next: string | null): z.output<typeof CustomerList> {
  return { items: customers.map(customerBody), next };
}
