"""What the reports and curation features say, in Vietnamese and English (Vietnamese first)."""

from __future__ import annotations

from bot.core.texts import pick

REPORT_TEXTS: dict[str, dict[str, str]] = {
    # ---- contest results and announcements
    "results_files": {"vi": "📎 Bảng kết quả đầy đủ (Excel) và biểu đồ của cuộc thi {code}.",
                      "en": "📎 The full results workbook (Excel) and the charts of contest {code}."},
    "xlsx_caption": {"vi": "Kết quả {code}: thiết lập, xếp hạng, đơn vị, người dự thi, câu hỏi, từng vòng",
                     "en": "Results of {code}: settings, ranking, units, participants, questions, rounds"},
    "png_caption": {"vi": "{code}: người dự thi và điểm theo đơn vị, phân bố điểm, tham gia theo ngày",
                    "en": "{code}: participants and scores by unit, score distribution, participation by day"},
    "usage_announce": {"vi": "Cách dùng: /congbo MÃ (sau khi cuộc thi kết thúc).",
                       "en": "Usage: /announce CODE (once the contest has closed)."},
    "announce_not_closed": {"vi": "Cuộc thi {code} chưa kết thúc. Kết quả chỉ công bố được sau khi cuộc thi đóng "
                                  "(/dongcuocthi {code} để đóng sớm).",
                            "en": "Contest {code} has not closed yet. Results can be announced only after it closes "
                                  "(/closecontest {code} closes it early)."},
    "announce_confirm": {"vi": "Công bố kết quả {code}: mỗi người trong {n} người dự thi sẽ nhận thứ hạng và điểm "
                               "của riêng mình. Gửi ngay?",
                         "en": "Announce the results of {code}: each of the {n} participants gets their own rank and "
                               "score. Send now?"},
    "announce_send": {"vi": "📣 Gửi kết quả", "en": "📣 Send the results"},
    "announce_nobody": {"vi": "Cuộc thi {code} không có người dự thi nào để công bố.",
                        "en": "Contest {code} has no participants to announce to."},
    "announce_queued": {"vi": "📣 Đã xếp {added} tin vào hàng gửi.", "en": "📣 {added} messages queued."},
    "announce_progress": {"vi": "Tiến độ công bố {code}: đã gửi {sent}/{queued}, còn chờ {waiting}"
                                "{retrying}. Gõ lại /congbo {code} để xem tiếp.",
                          "en": "Announcement of {code}: {sent}/{queued} sent, {waiting} waiting{retrying}. "
                                "Type /announce {code} again to follow it."},
    "announce_retrying": {"vi": " (trong đó {n} tin đang thử lại)", "en": " ({n} of them being retried)"},
    "announce_channel": {"vi": "• {channel}: {sent}/{queued}", "en": "• {channel}: {sent}/{queued}"},
    # ---- yearly report
    "admins_only": {"vi": "Xin lỗi, lệnh này chỉ dành cho quản trị viên. Không có gì thay đổi.",
                    "en": "Sorry, only admins can use this command. Nothing was changed."},
    "usage_report": {"vi": "Cách dùng: /baocao [NĂM] [MÃ_ĐƠN_VỊ], ví dụ /baocao 2024",
                     "en": "Usage: /report [YEAR] [UNIT_ID], e.g. /report 2024"},
    "report_done": {"vi": "📄 Báo cáo năm {year} ({period}): {contests} cuộc thi, {asked} câu hỏi. "
                          "Số liệu lấy từ cơ sở dữ liệu, không ước tính.",
                    "en": "📄 The {year} report ({period}): {contests} contests, {asked} questions. "
                          "Figures come from the database, nothing is estimated."},
    "report_caption": {"vi": "Báo cáo năm {year}", "en": "Report for {year}"},
    # ---- curation
    "gaps_none": {"vi": "Không có câu hỏi nào chưa trả lời được hoặc bị đánh giá 👎 trong {days} ngày qua.",
                  "en": "No unanswered or 👎-rated questions in the last {days} days."},
    "gaps_title": {"vi": "❓ Câu hỏi chưa trả lời được hoặc bị 👎 trong {days} ngày qua (nhiều nhất trước):",
                   "en": "❓ Unanswered or 👎-rated questions in the last {days} days (most frequent first):"},
    "gaps_line": {"vi": "{no}. «{text}» — {count} lần ({kinds}); gần nhất: {closest}",
                  "en": "{no}. «{text}» — {count}× ({kinds}); closest: {closest}"},
    "gaps_hint": {"vi": "Bấm \"➕ n\" để thêm câu hỏi số n làm cách hỏi mới cho một mục có sẵn.",
                  "en": "Press \"➕ n\" to add question n as a new phrasing of an existing entry."},
    "gaps_add": {"vi": "➕ {no}", "en": "➕ {no}"},
    "gaps_kinds": {"vi": "chưa trả lời {unanswered}, gợi ý {suggested}, 👎 {disliked}",
                   "en": "unanswered {unanswered}, suggested {suggested}, 👎 {disliked}"},
    "no_closest": {"vi": "chưa có", "en": "none"},
    "pick_entry": {"vi": "Thêm «{text}» làm cách hỏi của mục nào?", "en": "Add «{text}» as a phrasing of which entry?"},
    "pick_none": {"vi": "Không tìm thấy mục nào gần với câu này: hãy viết mục mới trong knowledge/.",
                  "en": "No entry is close to this question: write a new entry in knowledge/."},
    "phrasing_added": {"vi": "✅ Đã thêm «{text}» vào mục {entry} ({path}:{line}). {reload}",
                       "en": "✅ Added «{text}» to entry {entry} ({path}:{line}). {reload}"},
    "phrasing_refused": {"vi": "Chưa thêm: {reason}", "en": "Not added: {reason}"},
    # ---- reload
    "reload_ok": {"vi": "🔄 Đã nạp lại: {entries} mục hỏi đáp, {questions} câu hỏi thi. Các tiến trình khác "
                        "sẽ nạp lại trong vài giây.",
                  "en": "🔄 Reloaded: {entries} Q&A entries, {questions} quiz questions. Other processes reload "
                        "within a few seconds."},
    "reload_errors": {"vi": "⚠️ Có lỗi, phiên bản cũ vẫn đang phục vụ ({parts}). Sửa các lỗi sau rồi /reload lại:",
                      "en": "⚠️ There are errors, so the previous version keeps serving ({parts}). Fix these and "
                            "/reload again:"},
    "part_knowledge": {"vi": "cơ sở tri thức", "en": "knowledge base"},
    "part_quizzes": {"vi": "ngân hàng câu hỏi thi", "en": "question banks"},
    "files_elsewhere": {"vi": "📎 Tệp đính kèm ({names}) chưa gửi được qua kênh này. Hãy lấy trên Telegram hoặc bằng "
                              "dòng lệnh: {command}",
                        "en": "📎 The attached files ({names}) cannot be sent on this channel. Get them on Telegram "
                              "or from the command line: {command}"},
}


def rt(key: str, lang: str, **values: str) -> str:
    """A reports/curation text in the language (Vietnamese when missing), with values filled in."""
    return pick(REPORT_TEXTS, key, lang, values)
