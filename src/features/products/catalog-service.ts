import type { Db } from '../../platform/db/database.js';
import { notFound } from '../../platform/errors.js';
import type { Environment, Track } from '../environments/environment.js';
import { listEnvironments, listTracks } from '../environments/environment-store.js';
import type { Train } from '../releases/train.js';
import { listTrains } from '../releases/train-store.js';
import type { Product } from './product.js';
import { listProducts } from './product-store.js';

/** Reads of what railyard.yaml declares: products, environments, tracks and trains. */
export class CatalogService {
  constructor(private readonly deps: { db: Db }) {}

  products(): Promise<Product[]> {
    return listProducts(this.deps.db);
  }

  async product(key: string): Promise<Product> {
    const [product] = await listProducts(this.deps.db, [key]);
    if (!product) throw notFound('product', key);
    return product;
  }

  environments(): Promise<Environment[]> {
    return listEnvironments(this.deps.db);
  }

  async environment(key: string): Promise<Environment> {
    const env = (await listEnvironments(this.deps.db)).find((e) => e.key === key);
    if (!env) throw notFound('environment', key);
    return env;
  }

  tracks(): Promise<Track[]> {
    return listTracks(this.deps.db);
  }

  trains(): Promise<Train[]> {
    return listTrains(this.deps.db);
  }
}
