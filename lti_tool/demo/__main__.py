"""`python -m lti_tool.demo`: run the demo LMS in the foreground (used by `make demo`)."""

from __future__ import annotations

import argparse
import json
import time

from . import DemoPlatform, start_demo_server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Ritmo demo LMS (LTI 1.3 platform)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--tool", default="http://127.0.0.1:5000", help="tool base URL")
    parser.add_argument("--base-url", default=None, help="public URL of this demo LMS")
    parser.add_argument("--platform-storage", action="store_true")
    args = parser.parse_args(argv)
    config = {"tool_base_url": args.tool, "platform_storage": args.platform_storage}
    if args.base_url:
        config["base_url"] = args.base_url
    handle = start_demo_server(config, args.host, args.port, quiet=False)
    print("Register this platform in Ritmo:")
    print(json.dumps(DemoPlatform.of(handle.app).registration(), indent=2))
    print(f"Demo LMS running at {handle.url}/ (Ctrl+C to stop)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        handle.shutdown()


if __name__ == "__main__":
    main()
