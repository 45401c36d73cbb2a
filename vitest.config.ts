import {defineConfig} from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // TF.js kernels on 2 cores are slow; model tests take seconds, not milliseconds.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // One fork at a time keeps peak memory predictable and TF.js backends isolated per file.
    pool: "forks",
    fileParallelism: false
  }
});
