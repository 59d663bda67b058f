/**
 * Evaluated once per worker in its reusable V8 context, before any workflow, and shared by every
 * workflow it runs (worker/bundle.ts PRELOADED_MODULES): zod's library code, which the workflows'
 * input and command schemas are built with. Each workflow still builds its own schemas (domain/),
 * only the library is shared, frozen by the SDK once this has run.
 */
import * as z from 'zod';

// zod puts its defaults (the error messages, the memoizer containers read) into its config object
// at the first schema built: done here, before the SDK freezes that object. What zod shares
// between schemas besides is keyed by schema (WeakMaps), and each workflow has its own schemas.
z.object({ a: z.array(z.string()) }).parse({ a: ['x'] });

/** Exported so that the bundler keeps the import (zod declares itself free of side effects). */
export const zod = z;
