"""Every benchmark in one run (`make bench`); figures go into README.md by hand."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import bench_audit
import bench_decode
import bench_demo_qr
import bench_import
import bench_load
import bench_pages
import bench_qr
import bench_scale
import bench_scan
import bench_sign
import bench_signin
import bench_slow_link
import bench_weight

if __name__ == "__main__":
    print("== sign / verify ==")
    bench_sign.print_figures(bench_sign.bench_sign(1.0))
    print("\n== QR size ==")
    bench_qr.print_table(bench_qr.bench_qr())
    print("\n== demo permits ==")
    bench_demo_qr.print_sizes(bench_demo_qr.demo_permit_sizes())
    print("\n== server-side image decoding ==")
    bench_decode.main(sys.argv[1:] or ["--frames", "600"])
    print("\n== CSV import of residents ==")
    bench_import.main([])
    print("\n== sign-in and the event loop ==")
    bench_signin.print_figures(bench_signin.bench_signin())
    print("\n== audit chain check ==")
    bench_audit.main([])
    print("\n== the app at 10k permits (PostgreSQL; 100k and 1M: bench_scale.py --sizes) ==")
    bench_scale.main(["--sizes", "10k"])
    print("\n== officers at once, 1 and 2 workers (PostgreSQL + Redis; --full: up to 500) ==")
    bench_load.main([])
    print("\n== scan to verdict in Chromium (fake camera) ==")
    bench_scan.print_figures(bench_scan.run())
    print("\n== the officer page on a slow link (400 kbps, 400 ms; cold cache) ==")
    bench_slow_link.main([])
    print("\n== cold-load JS and CSS per page (Chromium, cache off) ==")
    bench_weight.main()
    print("\n== page weight and Lighthouse, next to a blank Reflex app ==")
    bench_pages.run()
