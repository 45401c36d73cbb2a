// The page side: sends a fetched file to the worker as a Blob (as the Analyse page sends an opened File).
declare global {
  interface Window {
    slicedRead?: (url: string, workerUrl: string, options: unknown) => Promise<unknown>;
  }
}
window.slicedRead = async (url, workerUrl, options) => {
  const blob = await (await fetch(url)).blob();
  const worker = new Worker(workerUrl, {type: "module"});
  try {
    return await new Promise((resolve) => {
      worker.onmessage = (event) => resolve(event.data);
      worker.postMessage({blob, options});
    });
  } finally {
    worker.terminate();
  }
};
export {};
