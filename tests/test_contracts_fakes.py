"""USAspending as its server behaves, for the contracts tests. No tests here.

Sources (fedspendingtransparency/usaspending-api at commit
13a1ee0f0eb5bae5ae41c89b439b98f0881cf0c4, master of 2026-05-20):

* tests/fixtures/usaspending/*.json are copied verbatim from the API contracts
  (api_contracts/contracts/v2/awards/award_id.md, v2/transactions.md); each file names its source.
* spending_by_award.md has no response example, so ``result``, ``page`` and :class:`FakeUSAspending`
  build one from the server's serializer: usaspending_api/search/v2/views/spending_by_award.py
  (construct_es_response_for_prime_awards, construct_es_response, query_elasticsearch,
  get_elastic_sort_by_fields, ES_ALTERNATIVE_SORT_FIELDS), usaspending_api/common/query_with_filters.py
  (_AwardIds), usaspending_api/awards/v2/views/awards.py and transactions.py, and the error texts
  of usaspending_api/common/validator/helpers.py, tinyshield.py and generic_helper.py.
"""

from __future__ import annotations

import copy
import json
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

FIXTURES = Path(__file__).parent / "fixtures" / "usaspending"


def official(name: str) -> dict:
    """The body of an official example (a deep copy: tests may change it)."""
    return copy.deepcopy(json.loads((FIXTURES / name).read_text(encoding="utf-8"))["body"])


ICE = "U.S. Immigration and Customs Enforcement"
DHS = "Department of Homeland Security"
PIID = "70CTD022FR0000170"
PARENT = "GS35F0086U"
GID = f"CONT_AWD_{PIID}_7012_{PARENT}_4730"

# generic_helper.get_time_period_message() with settings API_SEARCH_MIN_DATE 2007-10-01 and API_MIN_DATE 2000-10-01
MESSAGES = ["For searches, time period start and end dates are currently limited to an earliest date of "
            "2007-10-01.  For data going back to 2000-10-01, use either the Custom Award Download feature on "
            "the website or one of our download or bulk_download API endpoints as listed on "
            "https://api.usaspending.gov/docs/endpoints. "]
# settings.py
API_MAX_DATE = "2027-09-30"
ES_AWARDS_MAX_RESULT_WINDOW = 50_000
ES_TOTAL_HITS_CAP = 10_000  # Elasticsearch's default track_total_hits: hits.total.value stops here
# validator/helpers.py
ABOVE_MAXIMUM_MSG = "Field '{key}' value '{value}' is above max '{max}'"


def cents(amount) -> str:
    """An amount's sort value: the `_sort` sibling of a scaled_float is a long of whole cents."""
    return str(round(float(amount) * 100))


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
    """A page as construct_es_response builds it: the cursor of the last row only when there is a
    next page, else last_record_unique_id null and last_record_sort_value the text "None"; an
    amount's sort value is whole cents as text."""
    last = results[-1] if results else None
    return {
        "spending_level": "awards", "limit": limit, "results": results,
        "page_metadata": {
            "page": number, "hasNext": has_next,
            "last_record_unique_id": last["internal_id"] if has_next and last else None,
            "last_record_sort_value": cents(last["Award Amount"]) if has_next and last else "None",
        },
        "messages": MESSAGES,
    }


def award(piid: str = PIID, *, parent: str | None = PARENT, total=150703824.61, options=150703824.61,
          start: str = "2022-09-26", end: str = "2026-05-04", signed: str = "2022-09-26",
          gid: str = GID, internal_id: int = 123456, recipient: str = "PALANTIR USG INC",
          sub_agency: str = ICE, description: str = "ICM OPERATIONS AND MAINTENANCE") -> dict:
    """The official contract example (award_contract.json) with this award's identity, amounts,
    dates and agency put in its fields; every other field is the example's."""
    a = official("award_contract.json")
    a.update({"id": internal_id, "generated_unique_award_id": gid, "piid": piid, "description": description,
              "total_obligation": total, "base_exercised_options": options, "base_and_all_options": options,
              "date_signed": signed})
    if parent:
        a["parent_award"].update({"piid": parent, "generated_unique_award_id": f"CONT_IDV_{parent}_4730",
                                  "agency_name": DHS, "sub_agency_name": "General Services Administration"})
    else:
        a["parent_award"] = None
    agency = {"id": 1, "has_agency_page": True,
              "toptier_agency": {"name": DHS, "code": "070", "abbreviation": "DHS", "slug": "department-of-homeland-security"},
              "subtier_agency": {"name": sub_agency, "code": "7012", "abbreviation": "ICE"},
              "office_agency_name": "ICE INFORMATION TECHNOLOGY"}
    a["awarding_agency"] = agency
    a["funding_agency"] = copy.deepcopy(agency)
    a["recipient"].update({"recipient_name": recipient, "parent_recipient_name": "PALANTIR TECHNOLOGIES INC"})
    a["period_of_performance"].update({"start_date": start, "end_date": end, "potential_end_date": f"{end} 00:00:00"})
    return a


def mod(number, action_date: str, amount, *, action: str = "SUPPLEMENTAL AGREEMENT FOR WORK WITHIN SCOPE",
        description: str = "ICM O&M", tid: str = "t") -> dict:
    """A contract transaction as transactions.py formats it: the official example's keys, an id
    CONT_TX_..., no cfda_number (deleted for FPDS rows)."""
    t = official("transactions.json")["results"][0]
    del t["cfda_number"]
    t.update({"id": f"CONT_TX_{tid}_{number}", "type": "C", "type_description": "DELIVERY ORDER",
              "action_date": action_date, "action_type": "B", "action_type_description": action,
              "modification_number": number, "description": description, "federal_action_obligation": amount})
    return t


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


# ---- a fake that behaves as the server does ------------------------------------------------------

# usaspending_api/awards/v2/lookups/lookups.py
CONTRACT_TYPES = {"A": "BPA Call", "B": "Purchase Order", "C": "Delivery Order", "D": "Definitive Contract"}
IDV_TYPES = {"IDV_A": "GWAC Government Wide Acquisition Contract",
             "IDV_B": "IDC Multi-Agency Contract, Other Indefinite Delivery Contract",
             "IDV_B_A": "IDC Indefinite Delivery Contract / Requirements",
             "IDV_B_B": "IDC Indefinite Delivery Contract / Indefinite Quantity",
             "IDV_B_C": "IDC Indefinite Delivery Contract / Definite Quantity",
             "IDV_C": "FSS Federal Supply Schedule", "IDV_D": "BOA Basic Ordering Agreement",
             "IDV_E": "BPA Blanket Purchase Agreement"}
CONTRACT_CODES, IDV_CODES = set(CONTRACT_TYPES), set(IDV_TYPES)


def _millis(day: str | None):
    if not day:
        return None
    return int(datetime.fromisoformat(day[:10]).replace(tzinfo=timezone.utc).timestamp() * 1000)


class FakeUSAspending:
    """spending_by_award, awards/{id} and transactions over a list of award documents, answering
    as the server source does (module docstring). Each award is an award-detail body (such as
    ``award()`` or an official example) and may carry a ``"transactions"`` list, which is not
    part of the detail answer.

    ``routes(method, path, body)`` answers ``(status, body, headers)`` for :class:`LocalServer`;
    ``transport`` is the same as an httpx.MockTransport. ``end_date_refused`` answers an end date
    past API_MAX_DATE with a 422 in the validator's words, instead of capping it silently as the
    source at the commit above does (its time_period rule has no max_exception).
    """

    def __init__(self, awards: list[dict], *, end_date_refused: bool = False, total_cap: int = ES_TOTAL_HITS_CAP):
        self.docs, self.details, self.trans = [], {}, {}
        for n, a in enumerate(awards, 1):
            a = dict(a)  # (answers are serialised, never shared: no deep copy needed)
            self.trans[a["generated_unique_award_id"]] = a.pop("transactions", [])
            self.details[a["generated_unique_award_id"]] = a
            pop = a.get("period_of_performance") or {}
            self.docs.append({
                "award_id": a.get("id") or n, "display_award_id": a.get("piid") or a.get("fain"),
                "generated_unique_award_id": a["generated_unique_award_id"], "type": a["type"],
                "recipient_name": (a.get("recipient") or {}).get("recipient_name"),
                "award_amount": a.get("total_obligation"), "start_date": pop.get("start_date"),
                "end_date": pop.get("end_date"), "description": a.get("description"),
                "awarding_toptier": ((a.get("awarding_agency") or {}).get("toptier_agency") or {}).get("name"),
                "awarding_subtier": ((a.get("awarding_agency") or {}).get("subtier_agency") or {}).get("name"),
            })
        self._sorted: dict[str, list] = {}
        self.end_date_refused = end_date_refused
        self.total_cap = total_cap
        self.requests: list[tuple[str, str, object]] = []
        self.transport = httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        status, payload, headers = self.routes(request.method, request.url.path, body)
        return respond(status, payload, headers)

    @property
    def bodies(self) -> list:
        return [b for _, _, b in self.requests]

    def routes(self, method: str, path: str, body):
        self.requests.append((method, path, body))
        if method == "POST" and path == "/api/v2/search/spending_by_award/":
            return self.search(body or {})
        if method == "GET" and path.startswith("/api/v2/awards/"):
            gid = path.split("/")[4]
            if gid in self.details:  # an exact, case-sensitive look-up (AwardSearch.objects.filter)
                return 200, self.details[gid], {}
            return 404, {"detail": f"No Award found with: {{'generated_unique_award_id_legacy': '{gid}'}}"}, {}
        if method == "POST" and path == "/api/v2/transactions/":
            return self.transactions(body or {})
        return 404, {"detail": "Not found."}, {}

    # -- spending_by_award ---------------------------------------------------------------------
    SORT_KEYS = {"Award Amount": ("award_amount", "amount"), "Award ID": ("display_award_id", "text"),
                 "Recipient Name": ("recipient_name", "text"), "Start Date": ("start_date", "date"),
                 "End Date": ("end_date", "date")}

    def _sort_value(self, doc: dict, sort: str):
        key, kind = self.SORT_KEYS[sort]
        v = doc[key]
        if v is None:
            return None
        return int(cents(v)) if kind == "amount" else _millis(v) if kind == "date" else v

    def search(self, b: dict):
        if "fields" not in b:
            return 422, {"detail": "Missing value: 'fields' is a required field"}, {}
        limit, page_no = b.get("limit", 10), b.get("page", 1)
        if limit > 100:
            return 422, {"detail": ABOVE_MAXIMUM_MSG.format(key="limit", value=limit, max=100)}, {}
        f = b.get("filters") or {}
        codes = set(f.get("award_type_codes") or [])
        if not (codes <= CONTRACT_CODES or codes <= IDV_CODES):
            # api_helper.raise_if_award_types_not_valid_subset: the body is the dict itself, no
            # "detail" (the four assistance groups it also lists are left out here)
            return 422, {"message": "'award_type_codes' must only contain types from one group.",
                         "award_type_groups": {"contracts": CONTRACT_TYPES, "idvs": IDV_TYPES}}, {}
        for period in f.get("time_period") or []:
            if self.end_date_refused and period.get("end_date", "") > API_MAX_DATE:
                return 422, {"detail": ABOVE_MAXIMUM_MSG.format(key="end_date", value=period["end_date"],
                                                                 max=API_MAX_DATE)}, {}
        for wanted in f.get("award_ids") or []:
            if wanted.startswith('"') and wanted.endswith('"'):
                # Since March 2025 a quoted id becomes a query the search engine rejects; the view
                # lets the error through and the load balancer answers 503 with no body.
                return 503, b"", {}
        sort = b.get("sort") or b["fields"][0]
        if sort not in b["fields"]:
            return 400, {"detail": f"Sort value '{sort}' not found in requested fields: {b['fields']}"}, {}
        desc = b.get("order", "desc") == "desc"
        memo = json.dumps([f, sort, desc], sort_keys=True)
        if memo not in self._sorted:  # the same search page after page: filter and sort once
            values = [(self._sort_value(d, sort), d["award_id"], d) for d in self._filter(f, codes)]
            # (missing values last, as Elasticsearch does in either order)
            keyed = sorted((v for v in values if v[0] is not None), key=lambda k: k[:2], reverse=desc)
            keyed += sorted((v for v in values if v[0] is None), key=lambda k: k[1], reverse=desc)
            self._sorted[memo] = [(None, *k) for k in keyed]  # (_, sort value, award_id, doc)
        keyed = self._sorted[memo]
        uid, value = b.get("last_record_unique_id"), b.get("last_record_sort_value")
        if (uid is None) != (value is None):
            return 500, b"Server Error (500)", {}  # a bare Exception in query_elasticsearch
        if uid is not None:
            kind = self.SORT_KEYS[sort][1]
            after = (int(value) if kind in ("amount", "date") else value, uid)
            pos = next((n for n, k in enumerate(keyed) if k[1] is not None
                        and ((k[1], k[2]) < after if desc else (k[1], k[2]) > after)), len(keyed))
            hits = keyed[pos: pos + limit + 1]
            has_next = len(hits) > limit
            offset = 2
        else:
            record_num = (page_no - 1) * limit
            if record_num >= ES_AWARDS_MAX_RESULT_WINDOW:
                return 422, {"detail": f"Page #{page_no} with limit {limit} is over the maximum result limit "
                                       f"{ES_AWARDS_MAX_RESULT_WINDOW}. Please provide the 'last_record_sort_value' "
                                       "and 'last_record_unique_id' to paginate sequentially."}, {}
            hits = keyed[record_num: record_num + limit]
            total = min(len(keyed), self.total_cap)  # hits.total.value
            has_next = total - (page_no - 1) * limit > limit
            offset = 1
        last_uid = last_value = None
        if hits and has_next:
            last = hits[len(hits) - offset]
            last_uid, last_value = last[2], last[1]
        results = [self._row(k[3], b["fields"]) for k in hits[:limit]]
        return 200, {"spending_level": "awards", "limit": limit, "results": results,
                     "page_metadata": {"page": page_no, "hasNext": has_next, "last_record_unique_id": last_uid,
                                       "last_record_sort_value": str(last_value)},
                     "messages": MESSAGES}, {}

    def _filter(self, f: dict, codes: set) -> list[dict]:
        docs = [d for d in self.docs if d["type"] in codes]
        if f.get("award_ids"):
            # unquoted: a regexp of the whole value on the keyword field display_award_id
            docs = [d for d in docs if d["display_award_id"] in f["award_ids"]]
        for a in f.get("agencies") or []:
            if a.get("tier") == "subtier":
                docs = [d for d in docs if d["awarding_subtier"] == a["name"]
                        and (not a.get("toptier_name") or d["awarding_toptier"] == a["toptier_name"])]
            else:
                docs = [d for d in docs if d["awarding_toptier"] == a["name"]]
        for text in f.get("recipient_search_text") or []:
            docs = [d for d in docs if text.lower() in (d["recipient_name"] or "").lower()]
        for word in f.get("keywords") or []:
            docs = [d for d in docs if word.lower() in (d["description"] or "").lower()]
        return docs

    @staticmethod
    def _row(d: dict, fields: list) -> dict:
        values = {"Award ID": d["display_award_id"], "Recipient Name": d["recipient_name"],
                  "Award Amount": float(d["award_amount"]) if d["award_amount"] else d["award_amount"],
                  "Start Date": d["start_date"], "End Date": d["end_date"],
                  "Awarding Agency": d["awarding_toptier"], "Awarding Sub Agency": d["awarding_subtier"],
                  "Description": d["description"], "generated_internal_id": d["generated_unique_award_id"]}
        row = {"internal_id": int(d["award_id"])}
        row.update({f: values.get(f) for f in fields})
        if "Awarding Agency" in fields:
            row["awarding_agency_id"] = 123
            row["agency_slug"] = "department-of-homeland-security" if d["awarding_toptier"] == DHS else None
        return row

    # -- transactions ----------------------------------------------------------------------------
    def transactions(self, b: dict):
        limit, page_no = b.get("limit", 10), b.get("page", 1)
        if limit > 5000:
            return 422, {"detail": ABOVE_MAXIMUM_MSG.format(key="limit", value=limit, max=5000)}, {}
        rows = self.trans.get(b.get("award_id"), [])  # an unknown award: no rows, not a 404
        sort, desc = b.get("sort", "action_date"), b.get("order", "desc") == "desc"
        # ORDER BY the sort column alone: rows that tie come back in no fixed order, and the
        # database may order them differently for each page's OFFSET; reversed on even pages here.
        ordered = sorted(rows, key=lambda t: (t.get(sort) or "", t["id"] if page_no % 2 else _neg(t["id"])),
                         reverse=desc)
        lower = (page_no - 1) * limit
        chunk = ordered[lower: page_no * limit + 1]
        has_next = len(chunk) > limit
        return 200, {"page_metadata": {"page": page_no, "next": page_no + 1 if has_next else None,
                                       "previous": page_no - 1 if page_no > 1 else None,
                                       "hasNext": has_next, "hasPrevious": page_no > 1},
                     "results": chunk[:limit]}, {}


class _neg:
    """Reverses string order inside a sort key."""

    def __init__(self, v):
        self.v = v

    def __lt__(self, other):
        return self.v > other.v

    def __eq__(self, other):
        return self.v == other.v
