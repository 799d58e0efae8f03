// Shared by the DCMTK bridge's translation units: the file handle and the one error boundary.
#ifndef CDCMTK_INTERNAL_HPP
#define CDCMTK_INTERNAL_HPP

#include "dcmtk/config/osconfig.h"  // must come first

#include "dcmtk/dcmdata/dcfilefo.h"

#include <cstdio>
#include <exception>
#include <new>

#include "CDCMTK.h"

struct CDcmFile {
  DcmFileFormat format;
};

namespace cdcm {

inline void set_status(CDcmStatus *status, CDcmFailure failure, const char *message) noexcept {
  if (status == nullptr) return;
  status->failure = failure;
  std::snprintf(status->message, sizeof(status->message), "%s", message);
}

inline void clear_status(CDcmStatus *status) noexcept { set_status(status, CDCM_OK, ""); }

inline CDcmFailure failure_of(const OFCondition &condition) {
  if (condition == EC_FileMetaInfoHeaderMissing) return CDCM_META_HEADER_MISSING;
  // DCMTK reports a value or sequence cut short by the end of the file with any of these.
  if (condition == EC_StreamNotifyClient || condition == EC_EndOfStream || condition == EC_InvalidStream ||
      condition == EC_SequDelimitationItemMissing || condition == EC_PrematureSequDelimitationItem) {
    return CDCM_PREMATURE_END;
  }
  if (condition == EC_TagNotFound) return CDCM_TAG_NOT_FOUND;
  if (condition == EC_CannotChangeRepresentation || condition == EC_UnsupportedEncoding) {
    return CDCM_CANNOT_DECODE;
  }
  return CDCM_OTHER_CONDITION;
}

/// Reports a failed condition; returns whether the condition was good.
inline bool check(const OFCondition &condition, CDcmStatus *status) noexcept {
  if (condition.good()) return true;
  set_status(status, failure_of(condition), condition.text());
  return false;
}

template <typename Body>
void guard(CDcmStatus *status, Body &&body) noexcept {
  clear_status(status);
  try {
    body();
  } catch (const std::bad_alloc &) {
    set_status(status, CDCM_EXCEPTION, "out of memory in DCMTK bridge");
  } catch (const std::exception &error) {
    set_status(status, CDCM_EXCEPTION, error.what());
  } catch (...) {
    set_status(status, CDCM_EXCEPTION, "unknown C++ exception in DCMTK bridge");
  }
}

}  // namespace cdcm

#endif
