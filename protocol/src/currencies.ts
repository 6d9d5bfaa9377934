/**
 * ISO 4217 List One: active currency codes and their minor-unit exponents.
 * Source: ISO 4217 maintenance agency (SIX Group), list one, amendments through 2025.
 * Codes without a minor unit ("N.A.": precious metals, SDR, bond units, XTS, XXX) are left
 * out: they cannot be expressed in integer minor units.
 */

const exponentZero = 'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF';
const exponentThree = 'BHD IQD JOD KWD LYD OMR TND';
const exponentFour = 'CLF UYW';
const exponentTwo =
  'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP ' +
  'BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD ' +
  'FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD ' +
  'KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD ' +
  'NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP ' +
  'SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED ' +
  'VES WST XCD XCG YER ZAR ZMW ZWG';

function table(): ReadonlyMap<string, number> {
  const map = new Map<string, number>();
  const add = (codes: string, exponent: number) => {
    for (const code of codes.split(' ')) map.set(code, exponent);
  };
  add(exponentTwo, 2);
  add(exponentZero, 0);
  add(exponentThree, 3);
  add(exponentFour, 4);
  return map;
}

export const minorUnitExponents: ReadonlyMap<string, number> = table();
