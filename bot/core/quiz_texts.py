"""What the practice and contest features say, in Vietnamese and English (Vietnamese first)."""

from __future__ import annotations

from bot.core.texts import pick

QUIZ_TEXTS: dict[str, dict[str, str]] = {
    # ---- questions and answers
    "question_head": {"vi": "Câu {no}/{n}", "en": "Question {no}/{n}"},
    "time_left": {"vi": "⏱ còn {left}", "en": "⏱ {left} left"},
    "right": {"vi": "✅ Đúng rồi!", "en": "✅ Correct!"},
    "wrong": {"vi": "❌ Chưa đúng. Đáp án đúng: {right}", "en": "❌ Not quite. The right answer: {right}"},
    "source": {"vi": "📖 Nguồn: {source}", "en": "📖 Source: {source}"},
    "pick_a_to_d": {"vi": "Bạn đang làm bài thi. Hãy chọn A, B, C hoặc D (gõ chữ cái hoặc bấm nút).",
                    "en": "You are in a contest. Choose A, B, C or D (type the letter or press a button)."},
    "already_answered": {"vi": "Câu này bạn đã trả lời rồi, câu trả lời đầu tiên được giữ nguyên.",
                         "en": "You already answered that question; your first answer stands."},
    "not_your_button": {"vi": "Nút này đã cũ hoặc không dành cho bạn, nên mình không làm gì cả. Gõ /help để xem hướng dẫn.",
                        "en": "That button is out of date or not yours, so nothing was changed. Type /help for a guide."},
    "attempt_over": {"vi": "Lượt làm bài này đã kết thúc. Gõ /ketqua để xem kết quả.",
                     "en": "That attempt is over. Type /results to see your results."},
    "time_up": {"vi": "⏰ Hết giờ! Bài của bạn đã được nộp tự động.", "en": "⏰ Time is up! Your answers were submitted automatically."},
    "time_up_note": {"vi": "⏰ Hết giờ làm bài. Bài đã được nộp tự động: {score}/{n} câu đúng. Gõ /ketqua để xem.",
                     "en": "⏰ Time is up. Your attempt was submitted automatically: {score}/{n} correct. Type /results."},
    # ---- practice
    "practice_pick": {"vi": "Luyện tập 10 câu, không tính điểm. Chọn chủ đề:",
                      "en": "Practice: 10 questions, not scored. Pick a topic:"},
    "mixed": {"vi": "Tổng hợp", "en": "Mixed"},
    "practice_intro": {"vi": "Bắt đầu luyện tập {n} câu. Sau mỗi câu bạn sẽ thấy đáp án và giải thích.",
                       "en": "Starting {n} practice questions. After each you'll see the answer and why."},
    "practice_done": {"vi": "🎯 Xong! Bạn trả lời đúng {score}/{n} câu.", "en": "🎯 Done! You got {score}/{n} right."},
    "practice_missed": {"vi": "Luyện lại {n} câu sai", "en": "Practise the {n} I missed"},
    "practice_again": {"vi": "Luyện tập tiếp", "en": "Practise more"},
    "nothing_missed": {"vi": "Bạn không sai câu nào. Giỏi lắm!", "en": "You didn't miss any. Well done!"},
    "no_questions": {"vi": "Chưa có câu hỏi nào để luyện tập.", "en": "There are no questions to practise yet."},
    # ---- joining and registering
    "contests_open": {"vi": "Các cuộc thi đang diễn ra (hoặc gõ /thi MÃ):", "en": "Contests running now (or type /contest CODE):"},
    "contests_none": {"vi": "Hiện chưa có cuộc thi nào đang diễn ra. Nếu có mã, gõ /thi MÃ.",
                      "en": "No contest is running now. If you have a code, type /contest CODE."},
    "no_such_contest": {"vi": "Không tìm thấy cuộc thi có mã \"{code}\". Bạn kiểm tra lại mã nhé.",
                        "en": "No contest has the code \"{code}\". Please check it."},
    "contest_closed": {"vi": "Cuộc thi \"{title}\" đã kết thúc. Xem bảng xếp hạng: /bxh {code}",
                       "en": "The contest \"{title}\" has ended. Leaderboard: /leaderboard {code}"},
    "contest_not_yet": {"vi": "Cuộc thi \"{title}\" chưa mở. Mở lúc {opens} (giờ Việt Nam).",
                        "en": "The contest \"{title}\" is not open yet. It opens at {opens} (Vietnam time)."},
    "contest_about": {"vi": "🏆 {title}\n{n} câu hỏi · {minutes} phút · số lượt thi: {attempts} · kết thúc {closes}",
                      "en": "🏆 {title}\n{n} questions · {minutes} minutes · attempts: {attempts} · closes {closes}"},
    "unlimited": {"vi": "không giới hạn", "en": "unlimited"},
    "consent": {
        "vi": "Để dự thi, bạn cần khai báo đơn vị và họ tên (và các thông tin cuộc thi yêu cầu). Thông tin này chỉ dùng "
              "để xếp hạng và trao giải, ban tổ chức cuộc thi được xem; không công khai số điện thoại. Bạn có thể xem "
              "(/dulieucuatoi) hoặc xoá (/xoadulieu) bất cứ lúc nào. Chi tiết: /quyenriengtu. Bạn đồng ý chứ?",
        "en": "To take part you declare your unit and name (and whatever else this contest asks). It is used only to "
              "rank and award prizes; the organisers can see it; phone numbers are never published. You can see "
              "(/mydata) or delete (/deletemydata) it at any time. Details: /privacy. Do you agree?"},
    "agree": {"vi": "Đồng ý", "en": "I agree"},
    "disagree": {"vi": "Không đồng ý", "en": "No"},
    "consent_declined": {"vi": "Đã hiểu, mình không lưu thông tin gì. Bạn vẫn có thể /luyentap.",
                         "en": "Understood, nothing was stored. You can still /practice."},
    "ask_unit": {"vi": "Bạn học/làm việc ở đơn vị nào? Gõ một phần tên (có dấu hay không đều được), ví dụ: \"thpt mau 1\".",
                 "en": "Which unit are you in? Type part of its name, for example \"thpt mau 1\"."},
    "unit_none": {"vi": "Không tìm thấy đơn vị phù hợp. Bạn gõ lại phần tên khác nhé.",
                  "en": "No matching unit. Try another part of the name."},
    "unit_pick": {"vi": "Tìm thấy {n} đơn vị. Chọn đơn vị của bạn:", "en": "Found {n} units. Choose yours:"},
    "more": {"vi": "Xem thêm ▶", "en": "More ▶"},
    "ask_name": {"vi": "Họ và tên của bạn?", "en": "Your full name?"},
    "ask_birth_year": {"vi": "Năm sinh của bạn? (ví dụ 2008)", "en": "Your year of birth? (e.g. 2008)"},
    "ask_class": {"vi": "Lớp của bạn? (ví dụ 10A1)", "en": "Your class? (e.g. 10A1)"},
    "ask_phone": {"vi": "Số điện thoại của bạn? (chỉ dùng để liên hệ trao giải)",
                  "en": "Your phone number? (only used to contact prize winners)"},
    "bad_name": {"vi": "Họ tên cần từ 2 đến 120 ký tự, không có chữ số.", "en": "A name is 2–120 characters, without digits."},
    "bad_birth_year": {"vi": "Năm sinh gồm 4 chữ số, ví dụ 2008.", "en": "A year of birth has 4 digits, e.g. 2008."},
    "bad_class": {"vi": "Tên lớp tối đa 32 ký tự.", "en": "A class is at most 32 characters."},
    "bad_phone": {"vi": "Số điện thoại chưa đúng, ví dụ 0912345678.", "en": "That phone number looks wrong, e.g. 0912345678."},
    "registered": {"vi": "✅ Đăng ký xong.", "en": "✅ You're registered."},
    "registered_as": {"vi": "Đơn vị: {unit}", "en": "Unit: {unit}"},
    "registration_fixed": {"vi": "Thông tin dự thi đã cố định sau lượt thi đầu tiên, không sửa được.",
                           "en": "What you declared is fixed after your first attempt and can't be changed."},
    "start_attempt": {"vi": "▶ Bắt đầu làm bài", "en": "▶ Start the test"},
    "edit_registration": {"vi": "Sửa thông tin", "en": "Edit my details"},
    # ---- the attempt
    "attempt_intro": {"vi": "Bắt đầu! {n} câu, {minutes} phút. Đồng hồ chạy trên máy chủ, hết giờ bài tự nộp.",
                      "en": "Go! {n} questions, {minutes} minutes. The clock runs on the server; time up submits."},
    "refused_closed": {"vi": "Cuộc thi đã kết thúc.", "en": "The contest has ended."},
    "refused_not_open": {"vi": "Vòng thi chưa mở.", "en": "The round is not open."},
    "refused_no_attempts_left": {"vi": "Bạn đã dùng hết số lượt thi của vòng này.",
                                 "en": "You have used all your attempts for this round."},
    "predict_participants": {"vi": "Câu hỏi dự đoán (không tính điểm, dùng để phân định khi bằng điểm): "
                                   "theo bạn có bao nhiêu người dự thi vòng này? Gõ một số.",
                             "en": "Prediction (not scored, breaks ties): how many people will take part in this "
                                   "round? Type a number."},
    "predict_full_scores": {"vi": "Câu hỏi dự đoán (không tính điểm): theo bạn có bao nhiêu người trả lời đúng tất cả "
                                  "các câu? Gõ một số.",
                            "en": "Prediction (not scored): how many people will answer every question right? "
                                  "Type a number."},
    "predict_number": {"vi": "Bạn gõ một số nhé, ví dụ 1250.", "en": "Please type a number, e.g. 1250."},
    "contest_done": {"vi": "🏁 Đã nộp bài: {score}/{n} câu đúng, thời gian {time}.",
                     "en": "🏁 Submitted: {score}/{n} correct, in {time}."},
    "counts_best": {"vi": "Lượt có kết quả tốt nhất của bạn được tính để xếp hạng.",
                    "en": "Your best attempt counts for the ranking."},
    "counts_first": {"vi": "Lượt thi đầu tiên của bạn được tính để xếp hạng.",
                     "en": "Your first attempt counts for the ranking."},
    "keys_after_close": {"vi": "Đáp án và xếp hạng được công bố sau khi cuộc thi kết thúc.",
                         "en": "Answers and rankings are published after the contest closes."},
    "my_results": {"vi": "Kết quả của tôi", "en": "My results"},
    # ---- results
    "no_results": {"vi": "Bạn chưa có lượt thi nào. Gõ /thi MÃ để tham gia.",
                   "en": "You have no attempts yet. Type /contest CODE to join one."},
    "my_results_title": {"vi": "Kết quả của bạn:", "en": "Your results:"},
    "my_result_line": {"vi": "• {code} vòng {round}: {score}/{n} · {time} · {status}",
                       "en": "• {code} round {round}: {score}/{n} · {time} · {status}"},
    "status_active": {"vi": "đang làm", "en": "in progress"},
    "status_finished": {"vi": "đã nộp", "en": "submitted"},
    "status_expired": {"vi": "hết giờ, tự nộp", "en": "time up, submitted"},
    "status_abandoned": {"vi": "bỏ dở", "en": "abandoned"},
    "usage_bxh": {"vi": "Cách dùng: /bxh MÃ (ví dụ /bxh QCN24A)", "en": "Usage: /leaderboard CODE (e.g. /leaderboard QCN24A)"},
    "leaderboard_later": {"vi": "Bảng xếp hạng được công bố sau khi vòng thi kết thúc ({closes}).",
                          "en": "The leaderboard is published after the round closes ({closes})."},
    "leaderboard_title": {"vi": "🏆 {title} — vòng {round}, 10 người dẫn đầu:", "en": "🏆 {title} — round {round}, top 10:"},
    "my_rank": {"vi": "Bạn xếp hạng {rank}/{total}.", "en": "Your place: {rank} of {total}."},
    "result_broadcast": {"vi": "🏆 {title} — vòng {round} đã kết thúc. Bạn đạt {score}/{n} câu, xếp hạng {rank}/{total}. "
                               "Xem bảng xếp hạng: /bxh {code}",
                         "en": "🏆 {title} — round {round} is over. You scored {score}/{n} and placed {rank} of "
                               "{total}. Leaderboard: /leaderboard {code}"},
    "reminder": {"vi": "⏰ Cuộc thi \"{title}\" sẽ đóng lúc {closes}. Bạn đã đăng ký nhưng chưa làm bài: gõ /thi {code} để bắt đầu.",
                 "en": "⏰ \"{title}\" closes at {closes} (Vietnam time). You registered but have not taken it yet: "
                       "type /contest {code} to start."},
    # ---- staff
    "staff_only": {"vi": "Xin lỗi, lệnh này chỉ dành cho cán bộ tổ chức cuộc thi. Không có gì thay đổi.",
                   "en": "Sorry, that command is for contest staff only. Nothing was changed."},
    "staff_contests": {"vi": "Cuộc thi của đơn vị bạn:", "en": "Your unit's contests:"},
    "staff_no_contests": {"vi": "Đơn vị bạn chưa có cuộc thi nào. Tạo mới: /taocuocthi",
                          "en": "Your unit has no contests yet. Create one: /newcontest"},
    "already_closed": {"vi": "Cuộc thi {code} đã đóng rồi.", "en": "Contest {code} is already closed."},
    "closed_now": {"vi": "Đã đóng cuộc thi {code}; bài đang làm được nộp và xếp hạng đã chốt. Xem: /ketquacuocthi {code}",
                   "en": "Contest {code} closed; running attempts were submitted and rankings fixed. See /contestresults {code}"},
    "results_title": {"vi": "📊 {title} ({code}) — {n} người dự thi", "en": "📊 {title} ({code}) — {n} participants"},
    "results_units": {"vi": "Đơn vị (số người · tỉ lệ · điểm TB · điểm thi đua):",
                      "en": "Units (participants · rate · average · points):"},
    "usage_grant": {"vi": "Cách dùng: /capquyen kenh:id_nguoi_dung ma_don_vi (ví dụ /capquyen telegram:1001 sgddt)",
                    "en": "Usage: /grant channel:user_id unit_id (e.g. /grant telegram:1001 sgddt)"},
    "granted": {"vi": "Đã cấp quyền cán bộ đơn vị {unit} cho {who}.", "en": "{who} is now staff of {unit}."},
    "grant_exists": {"vi": "{who} đã là cán bộ đơn vị {unit}.", "en": "{who} is already staff of {unit}."},
    "mk_title": {"vi": "Tạo cuộc thi mới (cuối cùng có nút Huỷ nếu bạn đổi ý). Tên cuộc thi?",
                 "en": "New contest (cancel at the end if you change your mind). Its title?"},
    "mk_organiser": {"vi": "Mã đơn vị tổ chức? (ví dụ sgddt, tinhdoan)", "en": "Organiser unit id? (e.g. sgddt, tinhdoan)"},
    "mk_organiser_pick": {"vi": "Đơn vị tổ chức? Chọn một đơn vị bạn phụ trách (hoặc gõ mã đơn vị).",
                          "en": "Organiser unit? Pick one you run (or type a unit id)."},
    "name_erased": {"vi": "(đã xoá dữ liệu)", "en": "(data erased)"},
    "mk_opens": {"vi": "Thời gian mở (giờ Việt Nam), ví dụ 01/12/2026 08:00", "en": "Opens at (Vietnam time), e.g. 01/12/2026 08:00"},
    "mk_closes": {"vi": "Thời gian kết thúc, ví dụ 31/12/2026 20:00", "en": "Closes at, e.g. 31/12/2026 20:00"},
    "mk_questions": {"vi": "Số câu hỏi mỗi lượt?", "en": "Questions per attempt?"},
    "mk_questions_10": {"vi": "10", "en": "10"}, "mk_questions_20": {"vi": "20", "en": "20"},
    "mk_questions_30": {"vi": "30", "en": "30"},
    "mk_time_limit": {"vi": "Thời gian làm bài?", "en": "Time limit?"},
    "mk_time_limit_10": {"vi": "10 phút", "en": "10 min"}, "mk_time_limit_15": {"vi": "15 phút", "en": "15 min"},
    "mk_time_limit_20": {"vi": "20 phút", "en": "20 min"},
    "mk_attempts": {"vi": "Số lượt thi mỗi vòng?", "en": "Attempts per round?"},
    "mk_attempts_1": {"vi": "1", "en": "1"}, "mk_attempts_2": {"vi": "2", "en": "2"}, "mk_attempts_3": {"vi": "3", "en": "3"},
    "mk_attempts_0": {"vi": "Không giới hạn", "en": "Unlimited"},
    "mk_counts": {"vi": "Lượt nào được tính?", "en": "Which attempt counts?"},
    "mk_counts_best": {"vi": "Lượt tốt nhất", "en": "The best"}, "mk_counts_first": {"vi": "Lượt đầu tiên", "en": "The first"},
    "mk_fields": {"vi": "Thông tin cần khai báo?", "en": "What must participants declare?"},
    "mk_fields_0": {"vi": "Họ tên", "en": "Name"}, "mk_fields_1": {"vi": "Họ tên, lớp", "en": "Name, class"},
    "mk_fields_2": {"vi": "Họ tên, năm sinh, lớp", "en": "Name, birth year, class"},
    "mk_fields_3": {"vi": "Họ tên, năm sinh, lớp, SĐT", "en": "Name, birth year, class, phone"},
    "mk_prediction": {"vi": "Câu hỏi dự đoán?", "en": "Prediction question?"},
    "mk_prediction_participants": {"vi": "Số người dự thi", "en": "How many take part"},
    "mk_prediction_full_scores": {"vi": "Số người đạt điểm tối đa", "en": "How many score full marks"},
    "mk_prediction_off": {"vi": "Không có", "en": "None"},
    "mk_rounds": {"vi": "Chia vòng?", "en": "Rounds?"},
    "mk_rounds_none": {"vi": "Một vòng", "en": "One round"}, "mk_rounds_weekly": {"vi": "Mỗi tuần một vòng", "en": "Weekly rounds"},
    "mk_topics": {"vi": "Chủ đề câu hỏi?", "en": "Question topics?"},
    "mk_use_buttons": {"vi": "Bạn chọn một trong các nút nhé.", "en": "Please choose one of the buttons."},
    "mk_bad_title": {"vi": "Tên cuộc thi cần từ 3 đến 200 ký tự.", "en": "A title is 3–200 characters."},
    "mk_bad_organiser": {"vi": "Mã đơn vị không đúng hoặc bạn không phụ trách đơn vị này.",
                         "en": "Unknown unit id, or not a unit you run."},
    "mk_bad_time": {"vi": "Chưa đọc được thời gian. Gõ như 01/12/2026 08:00.", "en": "Can't read that time. Write 01/12/2026 08:00."},
    "mk_bad_closes": {"vi": "Thời gian kết thúc phải sau thời gian mở.", "en": "The close time must be after the open time."},
    "mk_bad_topic": {"vi": "Chủ đề không có trong ngân hàng câu hỏi.", "en": "That topic is not in the question bank."},
    "mk_confirm": {"vi": "Kiểm tra lại rồi bấm Tạo:", "en": "Check, then press Create:"},
    "mk_create": {"vi": "✅ Tạo", "en": "✅ Create"},
    "mk_cancel": {"vi": "Huỷ", "en": "Cancel"},
    "mk_cancelled": {"vi": "Đã huỷ, không có gì được tạo.", "en": "Cancelled; nothing was created."},
    "mk_done": {"vi": "✅ Đã tạo \"{title}\". Mã tham gia: {code} (người dự thi gõ /thi {code}).",
                "en": "✅ Created \"{title}\". Join code: {code} (participants type /contest {code})."},
    # ---- privacy
    "privacy_notice": {
        "vi": "🔒 Quyền riêng tư\n"
              "• Hỏi đáp: câu hỏi được lưu không kèm danh tính để cải thiện câu trả lời.\n"
              "• Luyện tập: lưu điểm, không cần thông tin cá nhân.\n"
              "• Cuộc thi: chỉ khi bạn đồng ý, lưu đơn vị, họ tên và các thông tin cuộc thi yêu cầu (năm sinh, lớp, "
              "số điện thoại) để xếp hạng và trao giải. Ban tổ chức cuộc thi được xem; số điện thoại không bao giờ công khai; "
              "bảng xếp hạng chỉ hiện họ và chữ cái đầu của tên.\n"
              "• /dulieucuatoi: xem mọi thông tin về bạn. /xoadulieu: xoá họ tên, năm sinh, lớp, số điện thoại "
              "(điểm số được giữ lại dưới dạng ẩn danh).",
        "en": "🔒 Privacy\n"
              "• Q&A: questions are kept without who asked them, to improve answers.\n"
              "• Practice: scores only, no personal data.\n"
              "• Contests: only with your consent, your unit, name and what the contest asks (birth year, class, phone) "
              "are kept to rank and award prizes. The organisers can see them; phone numbers are never published; "
              "leaderboards show family name and initials only.\n"
              "• /mydata: see everything about you. /deletemydata: erase names, birth years, classes and phones "
              "(scores stay as anonymous counts)."},
    "mydata_title": {"vi": "Dữ liệu mình lưu về bạn:", "en": "What we store about you:"},
    "mydata_account": {"vi": "• Tài khoản: {platform}, ngôn ngữ {language}, từ {created}",
                       "en": "• Account: {platform}, language {language}, since {created}"},
    "mydata_registration": {"vi": "• Cuộc thi {code}: đơn vị {unit}; họ tên {name}; năm sinh {birth}; lớp {cls}; SĐT {phone}",
                            "en": "• Contest {code}: unit {unit}; name {name}; born {birth}; class {cls}; phone {phone}"},
    "mydata_erased": {"vi": "• Cuộc thi {code}: đơn vị {unit}; thông tin cá nhân đã xoá",
                      "en": "• Contest {code}: unit {unit}; personal details erased"},
    "mydata_attempts": {"vi": "• Số lượt làm bài: {n}", "en": "• Attempts: {n}"},
    "mydata_staff": {"vi": "• Quyền cán bộ: {units}", "en": "• Staff of: {units}"},
    "delete_confirm": {"vi": "Xoá họ tên, năm sinh, lớp và số điện thoại bạn đã khai báo? Điểm số vẫn giữ ở dạng ẩn danh; "
                             "bạn sẽ không nhận giải được nữa nếu đang dự thi.",
                       "en": "Erase the names, birth years, classes and phone numbers you declared? Scores stay as "
                             "anonymous counts; you can no longer receive a prize in a running contest."},
    "delete_yes": {"vi": "Xoá", "en": "Erase"},
    "delete_no": {"vi": "Giữ lại", "en": "Keep"},
    "delete_kept": {"vi": "Đã giữ nguyên, không xoá gì.", "en": "Kept; nothing was erased."},
    "deleted": {"vi": "Đã xoá thông tin cá nhân ({n} lượt đăng ký).", "en": "Personal details erased ({n} registrations)."},
}


def qt(key: str, lang: str, **values: str) -> str:
    """A practice/contest text in the language (Vietnamese when English is missing)."""
    return pick(QUIZ_TEXTS, key, lang, values)
