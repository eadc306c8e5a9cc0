import { Blob as NodeBlob } from "node:buffer";
import { afterEach, describe, expect, it, vi } from "vitest";
import { uploadTransport } from "./api";

/** Stands in for the browser's XMLHttpRequest: reports progress, then answers. */
class FakeXhr {
  static last: FakeXhr | null = null;
  headers: Record<string, string> = {};
  method = "";
  url = "";
  sent: unknown = null;
  status = 0;
  response: Blob | null = null;
  responseType = "";
  upload: {
    onprogress: ((e: { lengthComputable: boolean; loaded: number; total: number }) => void) | null;
  } = {
    onprogress: null,
  };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name.toLowerCase()] = value;
  }
  getAllResponseHeaders() {
    return "content-type: application/json\r\nx-request-id: abc\r\n";
  }
  abort() {
    this.onabort?.();
  }
  send(body: unknown) {
    this.sent = body;
    FakeXhr.last = this;
    for (const loaded of [25, 50, 100])
      this.upload.onprogress?.({ lengthComputable: true, loaded, total: 100 });
    this.status = 201;
    // jsdom's Blob is not the one Node's Response reads; a browser has one kind only.
    this.response = new NodeBlob([JSON.stringify({ dataset_id: 3 })], {
      type: "application/json",
    }) as unknown as Blob;
    this.onload?.();
  }
}

describe("upload transport", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("streams the body with XHR, reports progress and answers like fetch", async () => {
    vi.stubGlobal("XMLHttpRequest", FakeXhr);
    const form = new FormData();
    form.append("file", new Blob(["sex,age\n"]), "customers.csv");
    const progress: number[] = [];
    const send = uploadTransport(form, (fraction) => progress.push(fraction));
    const response = await send(
      new Request("http://console.test/datasets?fill_purchase_frequency=12", {
        method: "POST",
        headers: {
          Authorization: "Bearer t",
          "Content-Type": "application/json",
          Accept: "application/json",
        },
      }),
    );
    expect(progress).toEqual([0.25, 0.5, 1, 1]);
    expect(response.status).toBe(201);
    expect(response.headers.get("x-request-id")).toBe("abc");
    expect(await response.json()).toEqual({ dataset_id: 3 });
    const xhr = FakeXhr.last as FakeXhr;
    expect(xhr.method).toBe("POST");
    expect(xhr.url).toBe("http://console.test/datasets?fill_purchase_frequency=12");
    expect(xhr.sent).toBe(form);
    expect(xhr.headers.authorization).toBe("Bearer t");
    // The browser sets the multipart boundary itself.
    expect(xhr.headers["content-type"]).toBeUndefined();
  });
});
