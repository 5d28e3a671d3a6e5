/** Releases of several products that ship together (a release train). */
export interface Train {
  id: string;
  key: string;
  name: string;
  products: string[];
  createdAt: string;
  updatedAt: string;
}
