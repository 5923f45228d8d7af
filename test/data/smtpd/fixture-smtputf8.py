# The client behind test/data/queue/hold-smtputf8.*: python3 THIS HOST PORT
import smtplib, sys
sender = "j\u00f6rg@b\u00fccher.example"
rcpt = "\u7528\u6237@\u4f8b\u5b50.test"
msg = ("From: J\u00f6rg <" + sender + ">\r\n"
       "To: " + rcpt + "\r\n"
       "Subject: SMTPUTF8 \u30c6\u30b9\u30c8\r\n"
       "MIME-Version: 1.0\r\n"
       "Content-Type: text/plain; charset=UTF-8\r\n"
       "Content-Transfer-Encoding: 8bit\r\n"
       "Message-ID: <smtputf8-test-1@client.example.org>\r\n"
       "Date: Sat, 21 Nov 2026 12:00:00 +0000\r\n"
       "\r\n"
       "UTF-8 envelope and headers: \u7528\u6237@\u4f8b\u5b50.test\r\n").encode("utf-8")
s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), local_hostname="client.example.org",
                 source_address=("127.0.0.1", 0))
s.ehlo("client.example.org")
s.mail(sender, ["SMTPUTF8", "BODY=8BITMIME"])
s.rcpt(rcpt)
s.data(msg); s.quit()
