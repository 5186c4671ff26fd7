#include "lio/testing/clause_report.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>

#include "lio/testing/clauses.h"

namespace lio::testing {
namespace {

struct ClauseTally {
  int passed = 0, failed = 0, skipped = 0;
  std::vector<const CaseOutcome*> cases;

  CaseStatus status() const {
    return failed > 0 ? CaseStatus::kFail : passed > 0 ? CaseStatus::kPass : CaseStatus::kSkip;
  }
};

// Clause name -> tally, in the order of kAllClauses (unknown clauses last).
using Tallies = std::vector<std::pair<std::string, ClauseTally>>;

// Backend -> its tallies, in the order backends first appear.
std::vector<std::pair<std::string, Tallies>> Tally(const std::vector<CaseOutcome>& outcomes) {
  std::vector<std::pair<std::string, Tallies>> backends;
  for (const CaseOutcome& outcome : outcomes) {
    auto backend = std::find_if(backends.begin(), backends.end(), [&](auto& b) { return b.first == outcome.backend; });
    if (backend == backends.end()) {
      backends.push_back({outcome.backend, {}});
      for (const Clause& clause : kAllClauses) backends.back().second.push_back({std::string(clause.id), {}});
      backend = backends.end() - 1;
    }
    Tallies& tallies = backend->second;
    auto clause = std::find_if(tallies.begin(), tallies.end(), [&](auto& t) { return t.first == outcome.clause; });
    if (clause == tallies.end()) {
      tallies.push_back({outcome.clause, {}});
      clause = tallies.end() - 1;
    }
    ClauseTally& tally = clause->second;
    (outcome.status == CaseStatus::kPass ? tally.passed : outcome.status == CaseStatus::kFail ? tally.failed
                                                                                               : tally.skipped)++;
    tally.cases.push_back(&outcome);
  }
  for (auto& backend : backends) {
    std::erase_if(backend.second, [](auto& t) { return t.second.cases.empty(); });
  }
  return backends;
}

std::string_view PromiseOf(std::string_view id) {
  const Clause* clause = ClauseById(id);
  return clause ? clause->promise : "";
}

std::string_view GroupOf(std::string_view id) { return id.substr(0, id.find('.')); }

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          out += escaped;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

// One line for the table: the failure part that names a clause ("[clause]
// ..."), else the first part, with its lines joined and "Failure" dropped.
std::string Headline(std::string_view message) {
  std::vector<std::string_view> parts;
  for (size_t start = 0; start < message.size();) {
    size_t end = message.find("\n\n", start);
    if (end == std::string_view::npos) end = message.size();
    parts.push_back(message.substr(start, end - start));
    start = end + 2;
  }
  if (parts.empty()) return "";
  std::string_view chosen = parts.front();
  for (std::string_view part : parts) {
    if (part.find("\n[") != std::string_view::npos || part.find(": [") != std::string_view::npos) {
      chosen = part;
      break;
    }
  }
  std::string line;
  std::istringstream lines{std::string(chosen)};
  for (std::string piece; std::getline(lines, piece);) {
    size_t text = piece.find_first_not_of(' ');
    if (text == std::string::npos || piece == "Failure") continue;
    if (piece.ends_with(": Failure")) piece.resize(piece.size() - 9);
    if (!line.empty()) line += piece.ends_with(":") || line.ends_with(":") ? " " : "; ";
    line += piece.substr(text);
  }
  constexpr size_t kWidth = 240;
  if (line.size() > kWidth) line = line.substr(0, kWidth - 3) + "...";
  return line;
}

std::string Escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') out += "\\\\";
    else if (c == '\t') out += "\\t";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string Unescape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    char next = text[++i];
    out += next == 't' ? '\t' : next == 'n' ? '\n' : next;
  }
  return out;
}

}  // namespace

std::string_view StatusName(CaseStatus status) {
  return status == CaseStatus::kPass ? "pass" : status == CaseStatus::kFail ? "fail" : "skip";
}

std::string ToLine(const CaseOutcome& o) {
  return std::string(StatusName(o.status)) + "\t" + Escape(o.clause) + "\t" + Escape(o.backend) + "\t" +
         Escape(o.name) + "\t" + Escape(o.message);
}

std::optional<CaseOutcome> FromLine(std::string_view line) {
  std::vector<std::string> fields;
  size_t start = 0;
  for (size_t tab; (tab = line.find('\t', start)) != std::string_view::npos; start = tab + 1) {
    fields.push_back(Unescape(line.substr(start, tab - start)));
  }
  fields.push_back(Unescape(line.substr(start)));
  if (fields.size() != 5) return std::nullopt;
  CaseOutcome outcome{fields[3], fields[2], fields[1], CaseStatus::kPass, fields[4]};
  if (fields[0] == "fail") outcome.status = CaseStatus::kFail;
  else if (fields[0] == "skip") outcome.status = CaseStatus::kSkip;
  else if (fields[0] != "pass") return std::nullopt;
  return outcome;
}

void ClauseReport::Add(CaseOutcome outcome) {
  std::lock_guard lock(mutex_);
  outcomes_.push_back(std::move(outcome));
}

bool ClauseReport::any_failed() const {
  std::lock_guard lock(mutex_);
  return std::any_of(outcomes_.begin(), outcomes_.end(), [](auto& o) { return o.status == CaseStatus::kFail; });
}

std::vector<CaseOutcome> ClauseReport::outcomes() const {
  std::lock_guard lock(mutex_);
  return outcomes_;
}

void ClauseReport::PrintTable(std::ostream& out) const {
  std::vector<CaseOutcome> outcomes = this->outcomes();
  for (const auto& [backend, tallies] : Tally(outcomes)) {
    out << "\nlio conformance: backend " << backend << "\n";
    out << "  " << std::left << std::setw(36) << "clause" << std::setw(8) << "result" << std::right << std::setw(7)
        << "passed" << std::setw(7) << "failed" << std::setw(8) << "skipped" << "\n";
    std::vector<const CaseOutcome*> failing;
    for (const auto& [clause, tally] : tallies) {
      std::string result(StatusName(tally.status()));
      if (tally.status() == CaseStatus::kFail) result = "FAIL";
      out << "  " << std::left << std::setw(36) << clause << std::setw(8) << result << std::right << std::setw(7)
          << tally.passed << std::setw(7) << tally.failed << std::setw(8) << tally.skipped << "\n";
      for (const CaseOutcome* c : tally.cases) {
        if (c->status == CaseStatus::kFail) failing.push_back(c);
      }
    }
    if (!failing.empty()) out << "  failing cases:\n";
    for (const CaseOutcome* c : failing) out << "    " << c->name << "\n      " << Headline(c->message) << "\n";
  }
  out.flush();
}

bool ClauseReport::WriteJson(const std::filesystem::path& path) const {
  std::vector<CaseOutcome> outcomes = this->outcomes();
  std::ostringstream json;
  json << "[";
  bool first_backend = true;
  for (const auto& [backend, tallies] : Tally(outcomes)) {
    json << (first_backend ? "\n" : ",\n") << " {\"backend\": " << JsonString(backend) << ", \"clauses\": [";
    first_backend = false;
    bool first_clause = true;
    for (const auto& [clause, tally] : tallies) {
      json << (first_clause ? "\n" : ",\n") << "  {\"clause\": " << JsonString(clause)
           << ", \"group\": " << JsonString(GroupOf(clause)) << ", \"promise\": " << JsonString(PromiseOf(clause))
           << ", \"status\": " << JsonString(StatusName(tally.status())) << ", \"passed\": " << tally.passed
           << ", \"failed\": " << tally.failed << ", \"skipped\": " << tally.skipped << ", \"cases\": [";
      first_clause = false;
      bool first_case = true;
      for (const CaseOutcome* c : tally.cases) {
        json << (first_case ? "\n" : ",\n") << "   {\"name\": " << JsonString(c->name)
             << ", \"status\": " << JsonString(StatusName(c->status)) << ", \"message\": " << JsonString(c->message)
             << "}";
        first_case = false;
      }
      json << "]}";
    }
    json << "]}";
  }
  json << "\n]\n";
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << json.str();
  if (!file.good()) {
    std::cerr << "lio conformance: cannot write the report to " << path << "\n";
    return false;
  }
  return true;
}

}  // namespace lio::testing
