// DCMTK marshalling for writing: 8-bit pixel data, sequence items, element copies, and structured
// report documents (dcmsr). The content of a report is decided in Swift.
#include "dcmtk/config/osconfig.h"  // must come first

#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcitem.h"
#include "dcmtk/dcmsr/dsrdoc.h"

#include "CDCMTK.h"
#include "Internal.hpp"

struct CDcmSR {
  DSRDocument document{DSRTypes::DT_ComprehensiveSR};
};

namespace {

using namespace cdcm;

/// A coded entry from its three parts, refused by DCMTK's own check when malformed.
DSRCodedEntryValue coded(const char *code, const char *scheme, const char *meaning) {
  return DSRCodedEntryValue(code, scheme, meaning);
}

}  // namespace

extern "C" {

void cdcm_put_pixel_data8(CDcmFile *file, const uint8_t *bytes, size_t count, CDcmStatus *status) {
  guard(status, [&] {
    check(file->format.getDataset()->putAndInsertUint8Array(DCM_PixelData, bytes, static_cast<unsigned long>(count)),
          status);
  });
}

void cdcm_put_sequence_string(CDcmFile *file, uint16_t sequence_group, uint16_t sequence_element, uint32_t item_index,
                              uint16_t group, uint16_t element, const char *value, CDcmStatus *status) {
  guard(status, [&] {
    DcmItem *item = nullptr;
    if (!check(file->format.getDataset()->findOrCreateSequenceItem(DcmTagKey(sequence_group, sequence_element), item,
                                                                   static_cast<signed long>(item_index)),
               status)) {
      return;
    }
    check(item->putAndInsertString(DcmTagKey(group, element), value), status);
  });
}

void cdcm_copy_element(CDcmFile *target, const CDcmFile *source, uint16_t group, uint16_t element, CDcmStatus *status) {
  guard(status, [&] {
    DcmDataset *from = const_cast<DcmFileFormat &>(source->format).getDataset();
    DcmElement *found = nullptr;
    if (from->findAndGetElement(DcmTagKey(group, element), found, OFFalse, OFTrue /* a copy */).bad() || found == nullptr) {
      return;
    }
    if (!check(target->format.getDataset()->insert(found, OFTrue /* replace */), status)) delete found;
  });
}

CDcmSR *cdcm_sr_create(CDcmStatus *status) {
  CDcmSR *result = nullptr;
  guard(status, [&] { result = new CDcmSR(); });
  return result;
}

void cdcm_sr_free(CDcmSR *sr) { delete sr; }

void cdcm_sr_add_item(CDcmSR *sr, const char *relationship, const char *value_type, bool below, const char *code,
                      const char *scheme, const char *meaning, CDcmStatus *status) {
  guard(status, [&] {
    DSRDocumentTree &tree = sr->document.getTree();
    const auto relation = tree.isEmpty() ? DSRTypes::RT_isRoot : DSRTypes::definedTermToRelationshipType(relationship);
    const auto type = DSRTypes::definedTermToValueType(value_type);
    if (tree.addContentItem(relation, type, below ? DSRTypes::AM_belowCurrent : DSRTypes::AM_afterCurrent) == 0) {
      set_status(status, CDCM_OTHER_CONDITION, "DCMTK refused the content item (value type or relationship not allowed here)");
      return;
    }
    check(tree.getCurrentContentItem().setConceptName(coded(code, scheme, meaning)), status);
  });
}

void cdcm_sr_set_text(CDcmSR *sr, const char *text, CDcmStatus *status) {
  guard(status, [&] { check(sr->document.getTree().getCurrentContentItem().setStringValue(text), status); });
}

void cdcm_sr_set_code(CDcmSR *sr, const char *code, const char *scheme, const char *meaning, CDcmStatus *status) {
  guard(status, [&] {
    check(sr->document.getTree().getCurrentContentItem().setCodeValue(coded(code, scheme, meaning)), status);
  });
}

void cdcm_sr_set_number(CDcmSR *sr, const char *value, const char *unit_code, const char *unit_scheme,
                        const char *unit_meaning, CDcmStatus *status) {
  guard(status, [&] {
    const DSRNumericMeasurementValue number(value, coded(unit_code, unit_scheme, unit_meaning));
    check(sr->document.getTree().getCurrentContentItem().setNumericValue(number), status);
  });
}

void cdcm_sr_set_image(CDcmSR *sr, const char *sop_class_uid, const char *sop_instance_uid, CDcmStatus *status) {
  guard(status, [&] {
    check(sr->document.getTree().getCurrentContentItem().setImageReference(
              DSRImageReferenceValue(sop_class_uid, sop_instance_uid)),
          status);
  });
}

void cdcm_sr_go_up(CDcmSR *sr, CDcmStatus *status) {
  guard(status, [&] {
    if (sr->document.getTree().goUp() == 0) set_status(status, CDCM_OTHER_CONDITION, "the current item has no parent");
  });
}

void cdcm_sr_add_evidence(CDcmSR *sr, const char *study_uid, const char *series_uid, const char *sop_class_uid,
                          const char *sop_instance_uid, CDcmStatus *status) {
  guard(status, [&] {
    check(sr->document.getCurrentRequestedProcedureEvidence().addItem(study_uid, series_uid, sop_class_uid,
                                                                     sop_instance_uid),
          status);
  });
}

CDcmFile *cdcm_sr_write(CDcmSR *sr, CDcmStatus *status) {
  CDcmFile *result = nullptr;
  guard(status, [&] {
    auto *file = new CDcmFile();
    if (!check(sr->document.write(*file->format.getDataset()), status)) {
      delete file;
      return;
    }
    result = file;
  });
  return result;
}

}  // extern "C"
