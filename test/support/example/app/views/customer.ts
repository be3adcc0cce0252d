import type { z } from 'zod';
import type { CustomerRow } from '../models/customer';
import type { CustomerBody, CustomerList } from '../schemas/customer';

export function customerBody(customer: CustomerRow): z.output<typeof CustomerBody> {
  return {
    id: customer.id,
    name: customer.name,
    email: customer.email,
    createdAt: customer.createdAt.toISOString(),
    updatedAt: customer.updatedAt.toISOString(),
  };
}

export function customerListBody(customers: readonly CustomerRow[], next: string | null): z.output<typeof CustomerList> {
  return { items: customers.map(customerBody), next };
}
