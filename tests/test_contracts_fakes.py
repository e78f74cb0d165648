"""USAspending answers in the documented shapes (shared/reference/government-apis.md, section 1),
an httpx.MockTransport helper, and a tiny local HTTP server for CLI tests. No tests here."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

ICE = "U.S. Immigration and Customs Enforcement"
DHS = "Department of Homeland Security"
PIID = "70CTD022FR0000170"
PARENT = "GS35F0086U"
GID = f"CONT_AWD_{PIID}_7012_{PARENT}_4730"

MESSAGES = ["For searches, time period start and end dates are currently limited to an earliest date of 2007-10-01."]


def result(piid: str, amount, *, internal_id: int = 1, recipient: str = "PALANTIR USG INC",
           start: str = "2022-09-26", end: str = "2026-05-04", sub: str = ICE,
           description: str = "ICM OPERATIONS AND MAINTENANCE", parent: str = "-NONE-") -> dict:
    return {
        "internal_id": internal_id, "Award ID": piid, "Recipient Name": recipient, "Award Amount": amount,
        "Start Date": start, "End Date": end, "Awarding Agency": DHS, "Awarding Sub Agency": sub,
        "Description": description, "generated_internal_id": f"CONT_AWD_{piid}_7012_{parent}_{'-NONE-' if parent == '-NONE-' else '4730'}",
        "awarding_agency_id": 123, "agency_slug": "department-of-homeland-security",
    }


def page(results: list, number: int = 1, has_next: bool = False, limit: int = 100) -> dict:
    last = results[-1] if results else None
    return {
        "spending_level": "awards", "limit": limit, "results": results,
        "page_metadata": {
            "page": number, "hasNext": has_next,
            "last_record_unique_id": last["internal_id"] if has_next and last else None,
            "last_record_sort_value": str(last["Award Amount"]) if has_next and last else "None",
        },
        "messages": MESSAGES,
    }


def award(piid: str = PIID, *, parent: str | None = PARENT, total=150703824.61, options=150703824.61,
          start: str = "2022-09-26", end: str = "2026-05-04", signed: str = "2022-09-26",
          gid: str = GID) -> dict:
    return {
        "id": 123456, "generated_unique_award_id": gid, "piid": piid, "category": "contract",
        "type": "C", "type_description": "DELIVERY ORDER", "description": "ICM OPERATIONS AND MAINTENANCE",
        "total_obligation": total, "base_exercised_options": options, "base_and_all_options": options,
        "date_signed": signed, "subaward_count": 0, "total_subaward_amount": None,
        "parent_award": {"piid": parent, "generated_unique_award_id": f"CONT_IDV_{parent}_4730"} if parent else None,
        "awarding_agency": {"id": 1, "has_agency_page": True,
                            "toptier_agency": {"name": DHS, "code": "070", "abbreviation": "DHS", "slug": "department-of-homeland-security"},
                            "subtier_agency": {"name": ICE, "code": "7012", "abbreviation": "ICE"},
                            "office_agency_name": "ICE INFORMATION TECHNOLOGY"},
        "funding_agency": None,
        "recipient": {"recipient_name": "PALANTIR USG INC", "recipient_uei": "ABC123DEF456", "recipient_hash": "x-C",
                      "parent_recipient_name": "PALANTIR TECHNOLOGIES INC", "location": {}, "business_categories": []},
        "period_of_performance": {"start_date": start, "end_date": end, "last_modified_date": "2025-01-01 10:00:00",
                                  "potential_end_date": f"{end} 00:00:00"},
        "latest_transaction_contract_data": {"naics": "541511", "product_or_service_code": "DA01",
                                             "extent_competed_description": "FULL AND OPEN COMPETITION"},
    }


def mod(number, action_date: str, amount, *, action: str = "SUPPLEMENTAL AGREEMENT FOR WORK WITHIN SCOPE",
        description: str = "ICM O&M", tid: str = "t") -> dict:
    return {"id": f"CONT_TX_{tid}_{number}", "type": "C", "type_description": "DELIVERY ORDER",
            "action_date": action_date, "action_type": "B", "action_type_description": action,
            "modification_number": number, "description": description, "federal_action_obligation": amount}


def transactions(results: list, number: int = 1, has_next: bool = False) -> dict:
    return {"results": results,
            "page_metadata": {"page": number, "next": number + 1 if has_next else None,
                              "previous": number - 1 if number > 1 else None,
                              "hasNext": has_next, "hasPrevious": number > 1}}


def respond(status: int = 200, body=None, headers: dict | None = None) -> httpx.Response:
    """An httpx.Response whose body is JSON (dict/list), raw bytes, or nothing."""
    if isinstance(body, (dict, list)):
        return httpx.Response(status, json=body, headers=headers)
    return httpx.Response(status, content=body or b"", headers=headers)


def body_of(request: httpx.Request):
    return json.loads(request.content) if request.content else None


class Recorder:
    """An httpx.MockTransport that records each request and answers from ``handler``."""

    def __init__(self, handler):
        self.handler = handler
        self.requests: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    @property
    def bodies(self) -> list:
        return [body_of(r) for r in self.requests]


class LocalServer:
    """USAspending on 127.0.0.1 (port 0): ``routes(method, path, body) -> (status, body, headers)``."""

    def __init__(self, routes):
        self.routes = routes
        self.requests: list[tuple[str, str, object]] = []

    def __enter__(self) -> "LocalServer":
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self, method: str) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n) if n else b""
                body = json.loads(raw) if raw else None
                outer.requests.append((method, self.path, body))
                status, payload, headers = outer.routes(method, self.path, body)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
